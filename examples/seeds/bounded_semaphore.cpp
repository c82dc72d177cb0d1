// Seed: 003, the threading table: "BoundedSemaphore 与
// Semaphore类似,只是不允许超过初始值" (like Semaphore, but it may not exceed its initial
// value); the seeds name it without a program, so this one shows the rule. A release without
// an acquire is refused: Python raises ValueError, tide::BoundedSemaphore throws UsageError
// and releases nothing. A plain Semaphore takes the extra release and grows.
#include <cstdio>

#include <tide/core/errors.hpp>
#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/bounded_semaphore.hpp>
#include <tide/sync/semaphore.hpp>

namespace {

tide::Task<void> main_task() {
  // [guide:bounded-semaphore]
  tide::BoundedSemaphore bounded(2);
  co_await bounded.acquire();
  bounded.release();  // back to 2: fine
  try {
    bounded.release();  // a third permit: more than it started with
  } catch (const tide::UsageError& e) {
    std::printf("BoundedSemaphore: over-release refused\n");
    std::fprintf(stderr, "%s\n", e.what());
  }
  // [guide-end]
  std::printf("BoundedSemaphore value: %zu of %zu\n", bounded.value(), bounded.bound());

  tide::Semaphore plain(2);
  plain.release();
  std::printf("Semaphore value after the same release: %zu\n", plain.value());
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// BoundedSemaphore: over-release refused
// BoundedSemaphore value: 2 of 2
// Semaphore value after the same release: 3
