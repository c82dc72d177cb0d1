#pragma once

#include <chrono>
#include <coroutine>
#include <mutex>
#include <optional>
#include <utility>

#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

class Mutex;
class Condition;

/// Holds a lock on a `Mutex` and unlocks it when destroyed (also when an exception unwinds
/// past it). Move-only; what `co_await mutex.scoped_lock()` returns.
class [[nodiscard]] MutexGuard {
 public:
  MutexGuard() noexcept = default;
  /// Takes over a lock the caller already holds.
  MutexGuard(Mutex& mutex, std::adopt_lock_t) noexcept : mutex_(&mutex) {}
  MutexGuard(MutexGuard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
  MutexGuard& operator=(MutexGuard&& other) noexcept;
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;
  ~MutexGuard() { release(); }

  /// Unlocks now (the destructor then does nothing). UsageError if it holds no lock.
  void unlock();
  [[nodiscard]] bool owns_lock() const noexcept { return mutex_ != nullptr; }
  /// The mutex it holds, or null.
  [[nodiscard]] Mutex* mutex() const noexcept { return mutex_; }

 private:
  void release() noexcept;

  Mutex* mutex_ = nullptr;  // null: holds nothing (moved from, unlocked, default-built)
};

/// Mutual exclusion between the tasks and fibres of one loop, like Python's `asyncio.Lock`
/// (and `threading.Lock` under gevent):
///
///     tide::Mutex tickets_lock;
///     // a task:   { auto guard = co_await tickets_lock.scoped_lock(); ...read, yield, write... }
///     // a fibre:  { auto guard = tide::await(tickets_lock.scoped_lock()); ... }
///
/// Waiters take the lock in the order they started waiting. `unlock()` hands it straight to
/// the first waiter, which holds it from that moment (it resumes from the loop's next run
/// phase): nobody who arrives in between can take it (no barging), and `locked()` stays true
/// across the hand-off. Any task or fibre may unlock it; it remembers who locked it last only
/// to say so in `Loop::dump` ("held by task #4 'writer'") and deadlock reports.
/// Thread safety: one loop; using it from another thread throws UsageError.
class Mutex {
 public:
  Mutex() noexcept;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  /// No task or fibre may still wait on it.
  ~Mutex() = default;

  /// True while someone holds the lock (or it was handed to a waiter not yet resumed).
  [[nodiscard]] bool locked() const noexcept { return locked_; }
  /// Takes the lock if it is free; never waits.
  [[nodiscard]] bool try_lock();
  /// Releases the lock, handing it to the first waiter if there is one. UsageError if it is
  /// not locked.
  void unlock();

  /// Awaitable: waits until this task or fibre holds the lock (at once if it is free).
  /// Cancellation: a waiter that is cancelled leaves the queue without the lock, which goes to
  /// the next waiter; a lock handed over before the cancellation is kept (the wait returns
  /// normally and `Cancelled` comes at the next suspension point). Under `tide::timeout` the
  /// lock likewise wins over a deadline that passes in the same tick.
  /// Thread safety: one loop (UsageError from another thread).
  class LockAwaiter : public detail::WaitQueue::Awaiter {
   public:
    LockAwaiter(Mutex& mutex, std::optional<std::chrono::nanoseconds> timeout) noexcept
        : Awaiter(mutex.waiters_, nullptr, nullptr, std::nullopt, timeout), mutex_(&mutex) {}
    bool await_ready() noexcept { return mutex_->take_if_free(); }
    void await_resume() { Awaiter::await_resume(); }

   protected:
    Mutex* mutex_;
  };
  [[nodiscard]] LockAwaiter lock();

  /// Awaitable: like `lock()`, giving up after `timeout`; true if the lock is now held, false
  /// if the time ran out first (then it is not held; a zero or negative timeout only tries).
  /// Cancellation: as `lock()`.
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

  /// Awaitable: like `lock()`, returning a guard that unlocks when it goes out of scope.
  /// Cancellation: as `lock()` (a cancelled wait returns no guard and holds nothing).
  /// Thread safety: one loop (UsageError from another thread).
  class ScopedLockAwaiter : public LockAwaiter {
   public:
    using LockAwaiter::LockAwaiter;
    MutexGuard await_resume() {
      Awaiter::await_resume();
      return MutexGuard(*mutex_, std::adopt_lock);
    }
  };
  [[nodiscard]] ScopedLockAwaiter scoped_lock();

 private:
  friend class MutexGuard;
  friend class Condition;

  /// Condition's re-acquire after a wait: queues like `lock()` but cannot be cancelled (it
  /// parks the coroutine without making it the job's cancellable waiter), so a condition wait
  /// always returns, or throws, holding the lock. A cancellation that arrives meanwhile stays
  /// pending for the next suspension point.
  class Relock : public detail::WaitNode {
   public:
    explicit Relock(Mutex& mutex) noexcept : WaitNode(&woken), mutex_(&mutex) {}
    ~Relock();

    bool await_ready() noexcept { return mutex_->take_if_free(); }
    template <detail::TidePromise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      handle_ = h;
      mutex_->waiters_.park_quietly(*this, *h.promise().job);
    }
    void await_resume() noexcept { resumed_ = true; }

   private:
    static void woken(detail::WaitNode& node) noexcept;

    Mutex* mutex_;
    std::coroutine_handle<> handle_;
    bool woken_ = false;    // handed the lock
    bool resumed_ = false;  // its coroutine went on with it
  };

  bool take_if_free() noexcept {
    if (locked_) return false;
    locked_ = true;
    holder_ = detail::current_job();
    return true;
  }
  void release() noexcept;
  static void pass_on(void* self) noexcept;
  static void describe(const void* self, detail::WaitInfo& info);
  LockForAwaiter lock_for_ns(std::chrono::nanoseconds timeout);

  // Tasks and fibres waiting for the lock, in arrival order (LockAwaiters and Relocks).
  detail::WaitQueue waiters_;
  detail::ThreadBound thread_;
  // Held by someone, or handed to a woken waiter that has not resumed yet. Invariant: while
  // false nobody waits (an unlock with waiters hands the lock over instead of clearing it).
  bool locked_ = false;
  // The task or fibre that took it last (null: free, or taken outside any), for Loop::dump.
  const detail::Job* holder_ = nullptr;
};

}  // namespace tide
