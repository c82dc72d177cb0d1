#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

#include <tide/core/task.hpp>
#include <tide/io/detail/shared_mapping.hpp>
#include <tide/io/fd.hpp>

namespace tide::io {

class ProcessLock;

/// Holds a ProcessLock and unlocks it when destroyed. Move-only; what
/// `co_await lock.scoped_lock()` returns. If someone else unlocked the lock meanwhile, the
/// destructor's UsageError ends the program (std::terminate), as for tide::MutexGuard.
class [[nodiscard]] ProcessLockGuard {
 public:
  /// Takes over a lock the caller already holds.
  explicit ProcessLockGuard(ProcessLock& lock) noexcept : lock_(&lock) {}
  ProcessLockGuard(ProcessLockGuard&& other) noexcept
      : lock_(std::exchange(other.lock_, nullptr)) {}
  ProcessLockGuard& operator=(ProcessLockGuard&&) = delete;
  ProcessLockGuard(const ProcessLockGuard&) = delete;
  ProcessLockGuard& operator=(const ProcessLockGuard&) = delete;
  ~ProcessLockGuard();
  /// Unlocks now (the destructor then does nothing). UsageError if it holds nothing.
  void unlock();
  [[nodiscard]] bool owns_lock() const noexcept { return lock_ != nullptr; }

 private:
  ProcessLock* lock_;
};

/// A lock shared by processes, like Python's `multiprocessing.Lock`, that a task or fibre
/// waits for without blocking its loop:
///
///     tide::ProcessLock lock;                       // before fork; every child uses it
///     { auto guard = co_await lock.scoped_lock(); ...read, write shared memory... }
///     // a fibre: auto guard = tide::await(lock.scoped_lock());
///
/// The lock word lives in anonymous shared memory (MAP_SHARED, made before fork); taking a
/// free lock is one atomic instruction. A contended waiter sleeps on an eventfd (semaphore
/// mode) with `wait_ready`, so it works on every backend; `unlock()` posts a token to it only
/// when someone may wait (the classic three-state futex mutex, with the eventfd as the futex).
/// Not FIFO: a waiter that is woken competes with newcomers, and the tasks of one process
/// compete with each other. Not recursive. Any process may unlock it (as Python's Lock).
///
/// A holder that dies: the lock STAYS HELD. Nothing in the lock knows the holder has gone
/// (it is a word in memory, not a kernel object with an owner); waiters keep waiting, under a
/// timeout (`lock_for`, `tide::timeout`) they give up. `holder()` gives the pid that took it,
/// so a supervisor can see a dead holder (kill(pid, 0) fails with ESRCH) and decide what the
/// protected data is worth. Python's Lock (a POSIX semaphore) behaves the same.
///
/// Cancellation: a cancelled waiter leaves without the lock and takes no wake-up with it (the
/// token stays for the next waiter). Thread safety: any thread and any process forked after
/// it was made; the fds are close-on-exec, so it does not survive exec.
class ProcessLock {
 public:
  /// Maps the lock word and makes the eventfd. Throws std::system_error.
  ProcessLock();
  ProcessLock(ProcessLock&&) noexcept = default;
  ProcessLock& operator=(ProcessLock&&) noexcept = default;
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;
  ~ProcessLock();

  /// Takes the lock if it is free; never waits.
  [[nodiscard]] bool try_lock() noexcept;
  /// Releases the lock, waking one waiter (of any process) if any may wait. UsageError if it
  /// is not locked.
  void unlock();
  /// True while some process holds it (a snapshot).
  [[nodiscard]] bool locked() const noexcept;
  /// The pid of the process that holds it, 0 when free (a snapshot).
  [[nodiscard]] pid_t holder() const noexcept;

  /// Awaitable: waits until this task or fibre holds the lock (at once if it is free).
  /// Cancellation: see the class comment. Thread safety: see the class comment.
  [[nodiscard]] Task<void> lock();
  /// Awaitable: as `lock()`, giving up after `timeout`; true if the lock is now held.
  template <class Rep, class Period>
  [[nodiscard]] Task<bool> lock_for(std::chrono::duration<Rep, Period> timeout) {
    return lock_for_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }
  /// Awaitable: as `lock()`, returning a guard that unlocks when it goes out of scope.
  [[nodiscard]] Task<ProcessLockGuard> scoped_lock();

 private:
  // The shared word: 0 free, 1 held with nobody waiting, 2 held and someone may wait.
  // `holder` is the pid that took it (0 when free), for diagnostics only.
  struct Shared {
    std::atomic<std::uint32_t> state;
    std::atomic<pid_t> holder;
  };
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
                "a process-shared lock word must be lock-free");

  Shared& shared() const noexcept { return *static_cast<Shared*>(memory_.data()); }
  [[nodiscard]] Task<bool> lock_for_ns(std::chrono::nanoseconds timeout);
  void took() noexcept;

  detail::SharedMapping memory_;
  Fd wakeups_;  // eventfd (semaphore mode): one token per unlock that found state 2
};

}  // namespace tide::io

namespace tide {
using io::ProcessLock;
using io::ProcessLockGuard;
}  // namespace tide
