#include <tide/core/detail/task_job.hpp>

#include <tide/core/detail/loop_core.hpp>

#include <utility>

namespace tide::detail {

TaskJob::TaskJob(LoopCore& owner, std::coroutine_handle<> frame, PromiseBase& promise,
                 std::string job_name) noexcept
    : OwnedJob(owner), frame_(frame), promise_(&promise) {
  name = std::move(job_name);
}

void TaskJob::start() {
  launch(*promise_, frame_, "spawn");
}

void TaskJob::destroy_frames() noexcept {
  free_frames();
  torn_down();
}

void TaskJob::free_frames() noexcept {
  if (frame_) std::exchange(frame_, {}).destroy();
}

}  // namespace tide::detail
