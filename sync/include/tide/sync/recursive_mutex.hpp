#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <optional>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

/// A mutex its holder may lock again, like Python's `threading.RLock` (under gevent): the
/// same task or fibre locks it as often as it likes and must unlock it as often; any other
/// waits until the count is back to zero.
///
///     tide::RecursiveMutex lock;
///     Task<void> inner() { co_await lock.lock(); ...; lock.unlock(); }
///     Task<void> outer() { co_await lock.lock(); co_await inner(); lock.unlock(); }
///     // a fibre: tide::await(lock.lock()); ... lock.unlock();
///
/// The holder is the job that awaits `lock()`: a spawned task together with every task it
/// awaits, or a fibre (and the tasks it awaits). `tide::timeout`, `when_any`, `when_all` and
/// TaskGroup run what they wrap as tasks of their own, so a `lock()` wrapped in them is taken
/// for that child task, not for its caller: use `lock_for` for a limit instead. Waiters take
/// the lock in the order they started waiting, and the last `unlock()` hands it straight to
/// the first of them (no barging). A task or fibre that ends holding it leaves it locked.
/// Thread safety: one loop; using it from another thread throws UsageError.
class RecursiveMutex {
 public:
  RecursiveMutex() noexcept;
  RecursiveMutex(const RecursiveMutex&) = delete;
  RecursiveMutex& operator=(const RecursiveMutex&) = delete;
  /// No task or fibre may still wait on it.
  ~RecursiveMutex() = default;

  /// True while some task or fibre holds it (or it was handed to one not yet resumed).
  [[nodiscard]] bool locked() const noexcept { return owner_ != nullptr; }
  /// How many times the holder has locked it and not yet unlocked it (0 when free).
  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

  /// Undoes one `lock()`; the last one hands the mutex to the first waiter. UsageError if it
  /// is not locked, or if the task or fibre calling it does not hold it (as Python's
  /// `RLock.release` raises RuntimeError); a task that a fibre awaits runs for that fibre.
  /// From a callback, or from outside the loop, the caller is not known and not checked.
  void unlock();

  /// Awaitable: takes the mutex (once more, if this task or fibre already holds it), waiting
  /// until its holder has unlocked it as often as it locked it.
  /// Cancellation: a cancelled waiter leaves the queue without the mutex, which goes to the
  /// next waiter; a mutex handed over before the cancellation is kept (the wait returns
  /// normally and `Cancelled` comes at the next suspension point).
  /// Thread safety: one loop (UsageError from another thread).
  class LockAwaiter : public detail::WaitQueue::Awaiter {
   public:
    LockAwaiter(RecursiveMutex& mutex, std::optional<std::chrono::nanoseconds> timeout) noexcept
        : Awaiter(mutex.waiters_, nullptr, nullptr, std::nullopt, timeout), mutex_(&mutex) {}
    // Who asks is known only here, from the awaiting coroutine's job, so the decision not to
    // wait (free, or held by that same job) is taken here rather than in await_ready.
    bool await_ready() const noexcept { return false; }
    template <detail::TidePromise P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (mutex_->enter(*h.promise().job)) return false;
      return suspend(h, [] {});
    }
    void await_resume() { Awaiter::await_resume(); }

   private:
    friend class RecursiveMutex;
    [[nodiscard]] detail::Job* waiting_job() const noexcept { return job; }

    RecursiveMutex* mutex_;
  };
  [[nodiscard]] LockAwaiter lock();

  /// Awaitable: like `lock()`, giving up after `timeout`; true if the mutex is now held (once
  /// more), false if the time ran out first. Cancellation: as `lock()`.
  /// Thread safety: one loop (UsageError from another thread).
  class LockForAwaiter : public LockAwaiter {
   public:
    using LockAwaiter::LockAwaiter;
    bool await_resume() { return Awaiter::await_resume() != detail::WaitResult::timed_out; }
  };
  template <class Rep, class Period>
  [[nodiscard]] LockForAwaiter lock_for(std::chrono::duration<Rep, Period> timeout) {
    return lock_for_ns(detail::clamp_to_nanoseconds(timeout));
  }

 private:
  bool enter(detail::Job& job) noexcept;
  void release() noexcept;
  static void pass_on(void* self) noexcept;
  static void describe(const void* self, detail::WaitInfo& info);
  LockForAwaiter lock_for_ns(std::chrono::nanoseconds timeout);

  // Tasks and fibres waiting for it, in arrival order (all LockAwaiters).
  detail::WaitQueue waiters_;
  detail::ThreadBound thread_;
  // The job holding it, or null when free; a waiter it was handed to holds it from the hand-off.
  // Invariant: while null nobody waits.
  detail::Job* owner_ = nullptr;
  // How many locks the owner has not yet undone: 0 exactly when owner_ is null.
  std::size_t depth_ = 0;
};

}  // namespace tide
