#include <tide/core/timer.hpp>

namespace tide {

Timer::Timer(Loop& loop) noexcept : loop_(&loop.core()) {
  node_.owner = this;
  node_.fire = &fired;
}

Timer::~Timer() {
  cancel();
}

void Timer::arm(Clock::time_point deadline, detail::Callback callback) {
  cancel();
  callback_ = std::move(callback);
  node_.deadline = deadline;
  loop_->add_timer(node_);
}

bool Timer::cancel() noexcept {
  if (!node_.armed()) return false;
  loop_->remove_timer(node_);
  callback_.reset();
  return true;
}

void Timer::fired(detail::TimerNode& node) {
  Timer& self = *static_cast<Node&>(node).owner;
  // Moved out first: the callback may restart (or destroy) this timer.
  detail::Callback callback = std::move(self.callback_);
  callback();
}

}  // namespace tide
