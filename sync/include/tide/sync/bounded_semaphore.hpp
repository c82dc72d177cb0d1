#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include <tide/sync/semaphore.hpp>

namespace tide {

/// A Semaphore that refuses to be released more often than it was acquired, like Python's
/// `asyncio.BoundedSemaphore` / `threading.BoundedSemaphore`: a `release` that would make more
/// permits free than it started with throws UsageError (Python raises ValueError), which
/// catches a double release early.
///
///     tide::BoundedSemaphore connections(10);
///     co_await connections.acquire();  ...  connections.release();
///
/// Everything else is Semaphore's (the same permits, FIFO hand-off and awaiters).
/// Thread safety: one loop; using it from another thread throws UsageError.
class BoundedSemaphore {
 public:
  using AcquireAwaiter = Semaphore::AcquireAwaiter;
  using AcquireForAwaiter = Semaphore::AcquireForAwaiter;
  using ScopedAcquireAwaiter = Semaphore::ScopedAcquireAwaiter;

  /// `initial` permits, which is also the bound.
  explicit BoundedSemaphore(std::size_t initial) noexcept
      : permits_(initial, "tide::BoundedSemaphore"), bound_(initial) {}
  BoundedSemaphore(const BoundedSemaphore&) = delete;
  BoundedSemaphore& operator=(const BoundedSemaphore&) = delete;
  /// No task or fibre may still wait on it, and no guard may outlive it.
  ~BoundedSemaphore() = default;

  /// Awaitable: waits for a permit and takes it (see Semaphore::acquire).
  /// Cancellation: a waiter cancelled before its turn takes no permit (the next waiter gets
  /// it); one handed a permit first keeps it. Thread safety: loop thread only.
  [[nodiscard]] AcquireAwaiter acquire() {
    permits_.check_thread();
    return AcquireAwaiter(permits_, std::nullopt);
  }
  /// Awaitable: waits at most `timeout`; true if it took a permit, false if not.
  /// Cancellation: as `acquire`. Thread safety: loop thread only.
  template <class Rep, class Period>
  [[nodiscard]] AcquireForAwaiter acquire_for(std::chrono::duration<Rep, Period> timeout) {
    permits_.check_thread();
    return AcquireForAwaiter(permits_, detail::clamp_to_nanoseconds(timeout));
  }
  /// Awaitable: as `acquire`, yielding a SemaphoreGuard that releases the permit.
  /// Cancellation: as `acquire`. Thread safety: loop thread only.
  [[nodiscard]] ScopedAcquireAwaiter scoped_acquire() {
    permits_.check_thread();
    return ScopedAcquireAwaiter(permits_, std::nullopt);
  }
  /// Takes a free permit if there is one; never waits.
  [[nodiscard]] bool try_acquire() {
    permits_.check_thread();
    return permits_.try_take();
  }
  /// Gives `n` permits back (FIFO hand-off, as Semaphore::release). Throws UsageError, and
  /// releases nothing, if that would leave more than the bound free.
  void release(std::size_t n = 1);

  /// Free permits.
  [[nodiscard]] std::size_t value() const {
    permits_.check_thread();
    return permits_.free();
  }
  /// The initial value, which `value()` never exceeds.
  [[nodiscard]] std::size_t bound() const noexcept { return bound_; }
  /// Tasks and fibres waiting for a permit.
  [[nodiscard]] std::size_t n_waiting() const {
    permits_.check_thread();
    return permits_.waiting();
  }

 private:
  detail::Permits permits_;
  std::size_t bound_;  // the initial value; free permits never exceed it
};

}  // namespace tide
