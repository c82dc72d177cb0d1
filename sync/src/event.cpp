#include <tide/sync/event.hpp>

namespace tide {

void Event::set() {
  thread_.check("tide::Event", this);
  set_ = true;
  waiters_.wake_all();
}

void Event::clear() {
  thread_.check("tide::Event", this);
  set_ = false;
}

Event::WaitAwaiter Event::wait() {
  thread_.check("tide::Event", this);
  return WaitAwaiter(waiters_, &flag_set, this);
}

Event::WaitForAwaiter Event::wait_for_ns(std::chrono::nanoseconds timeout) {
  thread_.check("tide::Event", this);
  return WaitForAwaiter(waiters_, &flag_set, this, std::nullopt, timeout);
}

}  // namespace tide
