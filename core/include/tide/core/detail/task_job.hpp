#pragma once

#include <coroutine>
#include <exception>
#include <string>

#include <tide/core/detail/owned_job.hpp>
#include <tide/core/detail/promise.hpp>

namespace tide::detail {

/// A spawned task: owns the root frame from `spawn` until both the task has finished and its
/// handle has let go.
class TaskJob final : public OwnedJob {
 public:
  TaskJob(LoopCore& owner, std::coroutine_handle<> frame, PromiseBase& promise,
          std::string job_name) noexcept;

  /// Links the job into its loop and queues the root frame to run. If it throws, the job
  /// (frame included) is freed.
  void start();
  void root_finished() noexcept override { finish(); }
  void destroy_frames() noexcept override;

  [[nodiscard]] std::exception_ptr exception() const noexcept override {
    return promise_->exception;
  }
  [[nodiscard]] PromiseBase& promise() const noexcept { return *promise_; }
  /// The root coroutine's frame (Loop::dump names the coroutine from it).
  [[nodiscard]] const void* frame() const noexcept { return frame_.address(); }

 private:
  void free_frames() noexcept override;

  std::coroutine_handle<> frame_;
  PromiseBase* promise_;
};

}  // namespace tide::detail
