#include <tide/core/detail/task_job.hpp>

#include <tide/core/detail/loop_core.hpp>

#include <utility>

namespace tide::detail {

TaskJob::TaskJob(LoopCore& owner, std::coroutine_handle<> frame, PromiseBase& promise,
                 std::string job_name) noexcept
    : Job(owner), frame_(frame), promise_(&promise) {
  name = std::move(job_name);
}

void TaskJob::start() {
  try {
    loop->check_thread("spawn");
    promise_->job = this;
    loop->adopt(*this);
    try {
      loop->schedule(frame_);
    } catch (...) {
      loop->release(*this);
      throw;
    }
  } catch (...) {
    // Never started: nobody else knows this job, so it goes now, frame and all.
    std::exchange(frame_, {}).destroy();
    delete this;
    throw;
  }
}

bool TaskJob::ended_cancelled() const noexcept {
  if (!promise_->exception) return false;
  try {
    std::rethrow_exception(promise_->exception);
  } catch (const Cancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}

void TaskJob::root_finished() noexcept {
  finished = true;
  waiting = nullptr;
  loop->release(*this);
  if (JoinWatcher* w = std::exchange(watcher, nullptr)) {
    notifying_ = true;  // the watcher may drop the handle; this frame is freed below, not there
    w->on_finished(*w);
    notifying_ = false;
  }
  if (!has_handle_) free_if_unowned();
}

void TaskJob::destroy_frames() noexcept {
  if (frame_) std::exchange(frame_, {}).destroy();
  frame_destroyed = true;
  waiting = nullptr;
  if (!has_handle_) delete this;
}

void TaskJob::drop_handle(bool cancel) noexcept {
  has_handle_ = false;
  if (notifying_) return;  // root_finished frees it once the watcher returns
  if (finished) {
    free_if_unowned();
  } else if (frame_destroyed) {
    delete this;
  } else if (cancel) {
    request_cancel();
  }
}

void TaskJob::free_if_unowned() noexcept {
  // Nobody will ever look at the outcome: an exception (other than a cancellation, which is
  // how unowned work is expected to end) must not vanish silently.
  if (!result_taken && promise_->exception && !ended_cancelled())
    loop->report_unhandled(promise_->exception, *this);
  if (frame_) std::exchange(frame_, {}).destroy();
  delete this;
}

}  // namespace tide::detail
