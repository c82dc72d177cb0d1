#include <tide/sync/thread_event.hpp>

namespace tide {

bool ThreadEvent::is_set() const {
  std::lock_guard lock(mutex_);
  return set_;
}

void ThreadEvent::set() noexcept {
  std::lock_guard lock(mutex_);
  set_ = true;
  detail::signal_all(waiters_, detail::CrossState::woken);
}

void ThreadEvent::clear() noexcept {
  std::lock_guard lock(mutex_);
  set_ = false;
}

bool ThreadEvent::block(std::optional<detail::Clock::time_point> deadline) {
  std::unique_lock lock(mutex_);
  if (set_) return true;
  detail::CrossNode node;
  return detail::block_thread(lock, waiters_, node, deadline) == detail::CrossState::woken;
}

}  // namespace tide
