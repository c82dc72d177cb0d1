#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/task_job.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/task.hpp>

namespace tide::detail {

/// The one mechanism under TaskGroup, when_all, when_any and timeout: a set of child tasks
/// spawned as jobs of their own, a policy for when to cancel the rest, and a join that waits
/// until every child has finished (so no child outlives the scope that owns its results).
class ChildSet {
 public:
  enum class Policy {
    all,  // the first failure (an exception other than Cancelled) cancels the others
    any,  // the first completion (value or failure) cancels the others
  };

  explicit ChildSet(Policy policy) noexcept : policy_(policy) {}
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;
  /// Cancels children still running and lets them finish unowned.
  ~ChildSet();

  /// Spawns `task` on `loop` as child number `index`. If the set already failed (or has a
  /// winner), the child starts cancelled.
  void spawn(LoopCore& loop, Task<void> task, std::size_t index, SourceSite where = {},
             std::string name = {});
  /// Requests cancellation of every running child.
  void cancel_all() noexcept;

  [[nodiscard]] std::size_t running() const noexcept { return running_; }
  /// policy all: the first failure; policy any: the winner's failure (if it failed).
  [[nodiscard]] std::exception_ptr failure() const noexcept { return failure_; }
  /// policy any: index of the first child to complete, or -1.
  [[nodiscard]] long winner() const noexcept { return winner_; }
  /// Whether some child ended with Cancelled.
  [[nodiscard]] bool some_cancelled() const noexcept { return some_cancelled_; }

  /// Arms a deadline at which every child is cancelled and `timed_out()` becomes true.
  void arm_deadline(LoopCore& loop, Clock::time_point deadline);
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

  /// Awaitable: waits until no child is running. Cancelling the awaiting task cancels every
  /// child and keeps waiting; then `forwarded()` is true.
  class Join : private Waiter {
   public:
    explicit Join(ChildSet& set) noexcept : Waiter(&cancelled, &describe), set_(&set) {}
    Join(Join&& other) noexcept : Waiter(&cancelled, &describe), set_(other.set_) {}
    ~Join() {
      if (set_->joiner_ == this) set_->joiner_ = nullptr;
    }
    bool await_ready() const noexcept { return set_->running_ == 0; }
    template <TidePromise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      Job& j = *h.promise().job;
      handle = h;
      job = &j;
      set_->joiner_ = this;
      if (j.cancel_pending) {
        forward();
        if (set_->running_ == 0) {  // nothing to wait for after all
          set_->joiner_ = nullptr;
          j.loop->schedule(h, &j);  // resumes from the run phase, never parked
          return;
        }
      }
      j.waiting = this;
      j.parked_at = loop_time(*j.loop);
    }
    /// Raises the set's outcome, in this order: the first failure (policy all); Cancelled if
    /// the awaiting task was cancelled and the results are incomplete; TimeoutError if the
    /// deadline passed and the results are incomplete; the winner's failure, or Cancelled if
    /// no child completed (policy any). Returns normally when the results are complete.
    /// The outcome is reset, so a TaskGroup can be joined again.
    void await_resume() { set_->raise_outcome(job); }

   private:
    friend class ChildSet;
    void forward() noexcept {
      set_->forwarded_ = true;
      set_->cancel_all();
    }
    static void cancelled(Waiter& w) noexcept {
      auto& self = static_cast<Join&>(w);
      self.job->waiting = &self;  // stay parked: children must finish first
      self.forward();
    }
    static void describe(const Waiter& w, WaitInfo& info) {
      static_cast<const Join&>(w).set_->describe_join(info);
    }
    ChildSet* set_;
  };

  [[nodiscard]] Join join() noexcept { return Join(*this); }
  /// "join of 3 running tasks", blocked by the first of them (Loop::dump).
  void describe_join(WaitInfo& info) const;

 private:
  struct Child : JoinWatcher {
    ChildSet* set = nullptr;
    TaskJob* job = nullptr;
    std::size_t index = 0;  // the caller's number for it (argument position)
    std::size_t slot = 0;   // position in children_, for O(1) removal
  };
  struct Deadline : TimerNode {
    ChildSet* set = nullptr;
    LoopCore* loop = nullptr;
  };

  [[nodiscard]] bool incomplete() const noexcept {
    return policy_ == Policy::all ? some_cancelled_ : winner_ < 0;
  }
  void raise_outcome(Job* awaiting);
  static void child_finished(JoinWatcher& w) noexcept;
  static void deadline_passed(TimerNode& t) noexcept;

  Policy policy_;
  std::vector<std::unique_ptr<Child>> children_;  // running children (stable addresses)
  std::size_t running_ = 0;
  std::exception_ptr failure_;
  long winner_ = -1;
  bool some_cancelled_ = false;
  bool cancelling_ = false;  // cancel_all() was called: later children start cancelled
  bool forwarded_ = false;
  bool timed_out_ = false;
  Join* joiner_ = nullptr;
  Deadline deadline_;
};

}  // namespace tide::detail
