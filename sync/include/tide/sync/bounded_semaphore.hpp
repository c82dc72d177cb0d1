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
/// Everything else is Semaphore's (the same permits, FIFO hand-off and awaiters, in
/// detail::SemaphoreBase).
/// Thread safety: one loop; using it from another thread throws UsageError.
class BoundedSemaphore : public detail::SemaphoreBase {
 public:
  /// `initial` permits, which is also the bound.
  explicit BoundedSemaphore(std::size_t initial) noexcept
      : SemaphoreBase(initial, "tide::BoundedSemaphore"), bound_(initial) {}

  /// Gives `n` permits back (FIFO hand-off, as Semaphore::release). Throws UsageError, and
  /// releases nothing, if that would leave more than the bound free.
  void release(std::size_t n = 1);
  /// The initial value, which `value()` never exceeds.
  [[nodiscard]] std::size_t bound() const noexcept { return bound_; }

 private:
  std::size_t bound_;  // the initial value; free permits never exceed it
};

}  // namespace tide
