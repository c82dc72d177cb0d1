#pragma once

#include <coroutine>
#include <exception>
#include <string>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/promise.hpp>

namespace tide::detail {

/// Told when a spawned task finishes (a join awaiter, or a child set's slot).
struct JoinWatcher {
  void (*on_finished)(JoinWatcher&) noexcept = nullptr;
};

/// A spawned task: owns the root frame from `spawn` until both the task has finished and its
/// handle has let go (then it deletes itself, frame included).
class TaskJob final : public Job {
 public:
  TaskJob(LoopCore& owner, std::coroutine_handle<> frame, PromiseBase& promise,
          std::string job_name) noexcept;

  /// Links the job into its loop and queues the root frame to run. If it throws, the job
  /// (frame included) is freed.
  void start();
  void root_finished() noexcept override;
  void destroy_frames() noexcept override;

  /// The handle goes away: a finished job is freed (reporting an exception nobody retrieved);
  /// an unfinished one is cancelled if `cancel` (handle destroyed) and frees itself when done
  /// (a detached job reports an escaping exception).
  void drop_handle(bool cancel) noexcept;

  /// The exception the task ended with, or null.
  [[nodiscard]] std::exception_ptr exception() const noexcept { return promise_->exception; }
  /// Whether the task ended by letting `Cancelled` escape.
  [[nodiscard]] bool ended_cancelled() const noexcept;

  [[nodiscard]] PromiseBase& promise() const noexcept { return *promise_; }

  bool finished = false;           // the root frame returned or threw
  bool frame_destroyed = false;    // the loop was destroyed before the task finished
  bool result_taken = false;       // the handle consumed the result
  JoinWatcher* watcher = nullptr;  // told once when the task finishes

 private:
  void free_if_unowned() noexcept;

  std::coroutine_handle<> frame_;
  PromiseBase* promise_;
  bool has_handle_ = true;
  bool notifying_ = false;  // inside root_finished's call to the watcher
};

}  // namespace tide::detail
