#include <tide/core/fiber_timeout.hpp>

#include <exception>
#include <utility>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/errors.hpp>

namespace tide {

Timeout::Timeout(std::chrono::nanoseconds limit, int)
    : fibre_(&detail::FiberJob::require_running("tide::Timeout")) {
  node_.owner = this;
  node_.fire = &fired;
  node_.deadline = detail::deadline_after(fibre_->loop->now(), limit);
  fibre_->loop->add_timer(node_);
}

Timeout::~Timeout() {
  cancel();
}

void Timeout::cancel() noexcept {
  fibre_->loop->remove_timer(node_);
  fibre_->withdraw_interrupt(this);
}

void Timeout::fired(detail::TimerNode& node) noexcept {
  Timeout& self = *static_cast<Node&>(node).owner;
  self.expired_ = true;
  std::exception_ptr error;
  try {
    error = std::make_exception_ptr(TimeoutError("tide::Timeout: the fibre's time ran out"));
  } catch (...) {
    error = std::current_exception();  // bad_alloc: still an interruption
  }
  self.fibre_->interrupt(std::move(error), &self);
}

}  // namespace tide
