#pragma once

#include <cstddef>

#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/mutex.hpp>

namespace tide {

/// A condition variable for the tasks and fibres of one loop, like Python's
/// `asyncio.Condition`: wait, with its mutex held, until another party changes the state and
/// notifies.
///
///     tide::Condition ready;                    // owns its mutex (or: Condition(mutex))
///     std::deque<int> items;
///     // consumer: auto guard = co_await ready.scoped_lock();
///     //           co_await ready.wait_for([&] { return !items.empty(); });
///     //           take items.front() ...
///     // producer: auto guard = co_await ready.scoped_lock();
///     //           items.push_back(1); ready.notify();
///     // in a fibre: tide::await(ready.wait_for(...)), and so on.
///
/// `wait()` releases the mutex, waits for a notification, and takes the mutex again before it
/// returns. Notifications go to waiters in the order they started waiting; a notification
/// is not stored (with nobody waiting it is lost, as in Python), so always wait in a loop on a
/// predicate (`wait_for` does that). A Mutex does not know its holder, so "held by the caller"
/// is checked as "locked".
/// Thread safety: one loop; using it from another thread throws UsageError.
class Condition {
 public:
  /// A condition with a mutex of its own.
  Condition() noexcept : mutex_(&own_) {}
  /// A condition on `mutex`, which must outlive it (several conditions may share a mutex).
  explicit Condition(Mutex& mutex) noexcept : mutex_(&mutex) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  /// No task or fibre may still wait on it.
  ~Condition() = default;

  [[nodiscard]] Mutex& mutex() const noexcept { return *mutex_; }
  /// `mutex().lock()`: see Mutex.
  [[nodiscard]] Mutex::LockAwaiter lock() { return mutex_->lock(); }
  /// `mutex().unlock()`.
  void unlock() { mutex_->unlock(); }
  /// `mutex().scoped_lock()`.
  [[nodiscard]] Mutex::ScopedLockAwaiter scoped_lock() { return mutex_->scoped_lock(); }

  /// Releases the mutex (the caller must hold it: UsageError otherwise), waits until
  /// notified, then takes the mutex again, waiting behind the tasks and fibres already queued
  /// for it. Wakes only on a notification: check the state again (or use `wait_for`).
  /// Cancellation: the wait ends, the mutex is taken again, then `Cancelled` is raised: the
  /// caller always holds the mutex when this returns or throws (also `TimeoutError` under
  /// `tide::timeout`). The re-acquire cannot be interrupted; a cancellation that arrives
  /// during it stays pending for the next suspension point. A notification handed to a
  /// waiter that was cancelled meanwhile is kept by it (the wait returns normally).
  /// Thread safety: one loop (UsageError from another thread).
  [[nodiscard]] Task<void> wait();

  /// Waits (as `wait`) until `predicate()` holds, checking it first; returns with the mutex
  /// held. Cancellation: as `wait`.
  /// Thread safety: one loop (UsageError from another thread).
  template <class Predicate>
  [[nodiscard]] Task<void> wait_for(Predicate predicate) {
    check_held("wait_for()");
    while (!predicate())
      co_await wait();
  }

  /// Wakes up to `n` waiters, longest waiting first. The caller must hold the mutex
  /// (UsageError otherwise). A waiter that was cancelled or timed out has already left, so
  /// the notification goes to the next one.
  void notify(std::size_t n = 1);
  /// Wakes every waiter waiting now. The caller must hold the mutex (UsageError otherwise).
  void notify_all();

 private:
  void check_held(const char* what) const;

  Mutex own_;     // the mutex of `Condition()`; unused when built on another one
  Mutex* mutex_;  // never null
  // Tasks and fibres waiting for a notification, in arrival order. No hooks: a notification
  // handed to a waiter destroyed before it resumed wakes the next (the queue's default).
  detail::WaitQueue waiters_{{.owner = this, .what = "Condition wait"}};
  detail::ThreadBound thread_;
};

}  // namespace tide
