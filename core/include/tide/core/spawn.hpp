#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>

#include <tide/core/detail/join_awaiter.hpp>
#include <tide/core/detail/task_job.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// Owner of a spawned task: await it for the task's value (or exception), cancel it, or let it
/// go with `detach()`. Destroying a handle whose task is still running cancels the task.
///
/// Awaiting: resumes the awaiter (through the loop's ready queue) once the task finished; the
/// result is moved out, so a handle is awaited at most once (again: UsageError).
/// Cancellation: cancelling the awaiting task cancels the awaited one and keeps waiting until
/// it has finished; `Cancelled` is then raised in the awaiter (or, if the task finished with a
/// value anyway, the value is returned and `Cancelled` comes at the next suspension).
/// Thread safety: loop thread only.
template <class T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() noexcept = default;
  JoinHandle(JoinHandle&& other) noexcept : job_(std::exchange(other.job_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset(true);
      job_ = std::exchange(other.job_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { reset(true); }

  [[nodiscard]] bool valid() const noexcept { return job_ != nullptr; }
  /// True once the task returned or threw (or was destroyed with its loop).
  [[nodiscard]] bool done() const noexcept {
    return job_ && (job_->finished || job_->frame_destroyed);
  }
  /// Requests cancellation: the task wakes with `Cancelled` at its current (or next)
  /// suspension point. No effect on a finished task.
  void cancel() noexcept {
    if (job_ && !done()) job_->request_cancel();
  }
  /// Lets the task run on unowned; an exception escaping it then goes to the loop's
  /// `on_unhandled_exception`. The handle becomes empty.
  void detach() noexcept { reset(false); }
  /// The loop-unique id of the task ("task #id" in diagnostics).
  [[nodiscard]] std::uint64_t id() const noexcept { return job_ ? job_->id : 0; }

  /// The finished task's value, or its exception rethrown. UsageError if the task has not
  /// finished, the result was already taken, or the handle is empty; LoopClosed if the loop
  /// was destroyed before the task finished.
  T result() {
    check("result()");
    if (!job_->finished) {
      if (job_->frame_destroyed)
        throw LoopClosed("tide::JoinHandle::result(): the loop was destroyed before task #" +
                         std::to_string(job_->id) + " finished");
      throw UsageError("tide::JoinHandle::result(): task #" + std::to_string(job_->id) +
                       " has not finished");
    }
    return take();
  }

 private:
  static T take_from(detail::TaskJob& job) {
    return static_cast<detail::TaskPromise<T>&>(job.promise()).take_result();
  }

 public:
  using Awaiter = detail::JoinAwaiter<T, detail::TaskJob, &JoinHandle::take_from>;

  Awaiter operator co_await() & { return Awaiter(check("co_await")); }
  Awaiter operator co_await() && { return Awaiter(check("co_await")); }

 private:
  friend class Loop;
  explicit JoinHandle(detail::TaskJob* job) noexcept : job_(job) {}

  detail::TaskJob* check(const char* what) const {
    if (!job_)
      throw UsageError(std::string("tide::JoinHandle::") + what +
                       " on an empty handle (moved from, detached or default-constructed)");
    if (job_->result_taken)
      throw UsageError(std::string("tide::JoinHandle::") + what + ": the result of task #" +
                       std::to_string(job_->id) + " was already taken (a handle is awaited once)");
    return job_;
  }
  T take() {
    job_->result_taken = true;
    return take_from(*job_);
  }

  void reset(bool cancel) noexcept {
    if (job_) std::exchange(job_, nullptr)->drop_handle(cancel);
  }

  detail::TaskJob* job_ = nullptr;
};

template <class T>
JoinHandle<T> Loop::spawn(Task<T> task, std::string name, SourceSite where) {
  auto frame = task.release("tide::spawn");
  auto* job = new detail::TaskJob(*core_, frame, frame.promise(), std::move(name));
  job->where = where;
  job->start();
  return JoinHandle<T>(job);
}

template <class T>
T Loop::run_until_complete(Task<T> task, SourceSite where) {
  JoinHandle<T> handle = spawn(std::move(task), "main", where);
  run_until_finished(*handle.job_);
  return handle.result();
}

/// Starts `task` on the loop running this thread; see `Loop::spawn`.
/// Throws UsageError when no loop is running.
template <class T>
[[nodiscard]] JoinHandle<T> spawn(Task<T> task, std::string name = {},
                                  SourceSite where = SourceSite::here()) {
  return Loop::current().spawn(std::move(task), std::move(name), where);
}

}  // namespace tide
