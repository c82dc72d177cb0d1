#include <tide/core/fiber.hpp>

namespace tide {

namespace detail {

std::size_t join_all(std::span<FiberJob* const> fibres, std::optional<Clock::time_point> until) {
  std::size_t finished = 0;
  for (FiberJob* job : fibres) {
    if (job == nullptr) continue;
    if (!job->finished && !job->frame_destroyed) {
      if (job == FiberJob::running())
        throw UsageError("tide::joinall: " + job->describe() + " would wait for itself");
      if (!wait_for(*job->loop, DoneAwaiter(*job, until), "tide::joinall")) continue;
    }
    if (job->finished) ++finished;
  }
  return finished;
}

}  // namespace detail

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
