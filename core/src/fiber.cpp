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
      if (!block_on(*job->loop, DoneAwaiter(*job, until), "tide::joinall")) continue;
    }
    if (job->finished) ++finished;
  }
  return finished;
}

}  // namespace detail

}  // namespace tide
