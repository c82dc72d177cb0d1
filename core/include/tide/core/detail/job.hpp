#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <string>

#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/source_site.hpp>

namespace tide::detail {

class LoopCore;
class Job;
class WaitQueue;
struct WaitNode;

/// What a parked job waits on, for `Loop::dump`: in words a user can act on ("sleep until
/// +1.2s", "recv on fd 7 (io_uring)", "Mutex 0x... held by task #4 'writer'"), and the job
/// that has to act before this one can go on, when one does (a mutex's holder, a joined job):
/// the edges the dump follows to find wait-for cycles.
struct WaitInfo {
  std::string what;
  const Job* blocked_by = nullptr;
};

/// The loop's time, for awaiters that note when they parked (defined in loop_core.hpp).
std::chrono::steady_clock::time_point loop_time(const LoopCore& loop) noexcept;

/// One cancellable suspension: the awaiter a job is parked in. Every leaf awaiter (sleep, I/O,
/// thread-pool call, join, wait queue) derives from it, suspends through `park_and_arm`, says
/// in `on_cancel` how to abandon its operation early, says in `describe` what it waits for
/// (only `Loop::dump` asks), and resumes its job with `wake`.
class Waiter {
 public:
  using CancelFn = void (*)(Waiter&) noexcept;
  using DescribeFn = void (*)(const Waiter&, WaitInfo&);

  Waiter(CancelFn on_cancel, DescribeFn describe_fn) noexcept
      : on_cancel_(on_cancel), describe_(describe_fn) {}
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  std::coroutine_handle<> handle;  // the suspended coroutine
  Job* job = nullptr;              // the job it belongs to

  /// What this suspension waits for (Loop::dump).
  void describe(WaitInfo& info) const { describe_(*this, info); }

 protected:
  /// The one way a leaf awaiter suspends: parks `job` here, then `arm()`s what will wake it (a
  /// timer, a queue link, a submission). Returns false, with nothing armed, when a
  /// cancellation is pending: the awaiter then resumes at once and raises it. If `arm` throws,
  /// the job is unparked and the exception leaves `await_suspend` (the task does not suspend).
  template <class Arm>
  bool park_and_arm(Job& job, std::coroutine_handle<> h, Arm&& arm);
  /// What the job waited for happened: it can no longer be cancelled here, and resumes from
  /// the loop's run phase (never inside the caller). Defined in loop_core.hpp.
  void wake() noexcept;
  /// After `on_cancel` withdrew the operation: resumes the job, which raises `Cancelled`.
  void resume_cancelled() noexcept;

 private:
  friend class Job;
  CancelFn on_cancel_;
  DescribeFn describe_;
};

/// A unit of concurrently scheduled work: a spawned task (with all the tasks it awaits) or a
/// fibre. Cancellation is addressed to a job and delivered at its current suspension.
class Job {
 public:
  explicit Job(LoopCore& owner) noexcept : loop(&owner) {}
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  virtual ~Job() = default;

  /// Asks the job to stop: it wakes with `Cancelled` at its current suspension point, or at the
  /// next one if it is running or already scheduled. Idempotent.
  void request_cancel() noexcept {
    cancel_pending = true;
    ++cancel_requests;
    if (Waiter* w = waiting) {
      waiting = nullptr;
      w->on_cancel_(*w);
    }
  }

  /// Called by a leaf awaiter from `await_suspend`. Returns false, and does not park, when a
  /// cancellation is pending: the awaiter then resumes at once and throws from `await_resume`.
  [[nodiscard]] bool park(Waiter& w, std::coroutine_handle<> h) noexcept {
    w.handle = h;
    w.job = this;
    if (cancel_pending) return false;
    waiting = &w;
    parked_at = loop_time(*loop);
    return true;
  }

  /// The operation `w` waits for finished on its own: it can no longer be cancelled.
  void unpark(Waiter& w) noexcept {
    if (waiting == &w) waiting = nullptr;
  }

  /// Delivers the pending cancellation as an exception; clears it, since it is now delivered.
  [[noreturn]] void throw_cancelled() {
    cancel_pending = false;
    throw Cancelled();
  }

  /// The coroutine at the root of the job returned or threw (called from its final suspend).
  virtual void root_finished() noexcept = 0;
  /// Destroys the job's frames without resuming them (the loop is being destroyed).
  virtual void destroy_frames() noexcept = 0;
  /// What the job is: "task #12 'name'".
  [[nodiscard]] std::string describe() const;

  LoopCore* loop;
  // The suspension a cancellation would interrupt. Non-null only while the job is parked in a
  // cancellable awaiter and not yet scheduled to resume; so a job is never scheduled twice.
  Waiter* waiting = nullptr;
  // Parked in a WaitQueue without a Waiter, where no cancellation may interrupt it (a
  // Condition re-acquiring its Mutex): named by Loop::dump like any wait there.
  struct QuietWait {
    const WaitQueue* queue = nullptr;
    const WaitNode* node = nullptr;
  } quiet_wait;
  // A cancellation was requested and not yet thrown into the job.
  bool cancel_pending = false;
  // How many cancellations were ever requested (a fibre tells its own from a task's).
  std::uint32_t cancel_requests = 0;
  std::uint64_t id = 0;
  std::string name;
  const char* kind = "task";
  SourceSite where;                                   // where it was spawned (Loop::dump)
  std::chrono::steady_clock::time_point parked_at{};  // when it last parked (Loop::dump)
  ListHook<Job> live_hook;  // in the loop's list of live jobs (for destruction and stats)
};

template <class Arm>
bool Waiter::park_and_arm(Job& j, std::coroutine_handle<> h, Arm&& arm) {
  if (!j.park(*this, h)) return false;
  try {
    arm();
  } catch (...) {
    j.unpark(*this);
    throw;
  }
  return true;
}

}  // namespace tide::detail
