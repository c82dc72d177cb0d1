// What may not cross a process boundary is a compile-time error with a readable message.
// ctest compiles this file once per case (-DCASE_<name>, -fsyntax-only) and looks for the
// message; the control build (no case) must compile, so a failure is the case's own.
#include <string>

#include <tide/io/codec.hpp>
#include <tide/io/process_pool.hpp>
#include <tide/io/shared_value.hpp>

namespace {

int square(int x) {
  return x * x;
}
struct NotSerialisable {
  int x = 0;
};
NotSerialisable make(int x) {
  return {x};
}

[[maybe_unused]] tide::Task<void> cases(tide::ProcessPool& pool) {
  [[maybe_unused]] int offset = 1;
  co_await pool.submit(square, 2);  // the control: this crosses
#if defined(CASE_capturing_lambda)
  co_await pool.submit([offset](int x) { return x + offset; }, 2);
#elif defined(CASE_unserialisable_result)
  co_await pool.submit(make, 2);
#elif defined(CASE_unserialisable_value)
  (void)tide::io::encode(NotSerialisable{});
#elif defined(CASE_shared_string)
  tide::SharedValue<std::string> shared;
#endif
}

}  // namespace
