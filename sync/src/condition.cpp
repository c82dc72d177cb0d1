#include <tide/sync/condition.hpp>

#include <exception>
#include <string>

#include <tide/core/errors.hpp>

namespace tide {

void Condition::check_held(const char* what) const {
  thread_.check("tide::Condition", this);
  if (!mutex_->locked())
    throw UsageError(std::string("tide::Condition::") + what +
                     ": the caller must hold the condition's mutex, which is not locked");
}

Task<void> Condition::wait() {
  check_held("wait()");
  mutex_->unlock();
  // A co_await cannot sit in a catch block: keep what ended the wait, take the mutex back,
  // then raise it, so the caller holds the mutex whichever way this ends.
  std::exception_ptr interrupted;
  try {
    co_await waiters_.wait();
  } catch (...) {
    interrupted = std::current_exception();
  }
  co_await Mutex::Relock(*mutex_);
  if (interrupted) std::rethrow_exception(interrupted);
}

void Condition::notify(std::size_t n) {
  check_held("notify()");
  for (; n > 0 && waiters_.wake_one(); --n) {
  }
}

void Condition::notify_all() {
  check_held("notify_all()");
  waiters_.wake_all();
}

}  // namespace tide
