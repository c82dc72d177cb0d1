#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>

#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

/// A meeting point for a fixed number of tasks and fibres, like Python's `threading.Barrier`,
/// on one loop and without threads: each party waits until `parties` have arrived, then all
/// go on together, and the barrier is ready for the next round.
///
///     tide::Barrier step(3);
///     // each of three tasks:  std::size_t i = co_await step.wait();  (a fibre: tide::await)
///
/// The arrival that completes a round returns at once and wakes the others in the order they
/// arrived. `wait` yields a distinct index per round, 0 .. parties - 1, in arrival order among
/// those still there when the round completes (the last arrival gets parties - 1), so one
/// party can be picked to do something once per round (`if (i == 0) ...`).
/// Python's abort/broken state is not provided: a party that gives up withdraws instead.
/// Thread safety: one loop; using it from another thread throws UsageError.
class Barrier {
 public:
  /// Throws std::invalid_argument if `parties` is 0.
  explicit Barrier(std::size_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;
  /// No task or fibre may still wait on it.
  ~Barrier() = default;

  /// Awaitable: arrives and waits for the round to complete; yields the arrival index.
  /// Cancellation: a party cancelled (or timed out) before the round completes withdraws its
  /// arrival, so the round still needs `parties` others; one released first keeps its index,
  /// and `Cancelled` comes at its next suspension.
  /// Thread safety: loop thread only.
  class WaitAwaiter;
  [[nodiscard]] WaitAwaiter wait();

  /// Awaitable: as `wait`, giving up after `timeout`: the index, or nullopt if the round did
  /// not complete in time (the arrival is withdrawn). Cancellation: as `wait`.
  /// Thread safety: loop thread only.
  class WaitForAwaiter;
  template <class Rep, class Period>
  [[nodiscard]] WaitForAwaiter wait_for(std::chrono::duration<Rep, Period> timeout);

  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  /// Parties waiting for the current round to complete.
  [[nodiscard]] std::size_t n_waiting() const {
    thread_.check("tide::Barrier", this);
    return waiters_.size();
  }

 private:
  class Arrival;
  bool arrive(Arrival& self) noexcept;
  static void unclaimed(void*) noexcept {}
  static void describe(const void* self, detail::WaitInfo& info);

  // The parties of the current round, in arrival order; its size is the arrival count (one
  // that gives up leaves it, which withdraws its arrival).
  detail::WaitQueue waiters_;
  detail::ThreadBound thread_;
  std::size_t parties_;  // > 0
};

/// One party's arrival; the barrier writes its index before waking it.
class Barrier::Arrival : public detail::WaitQueue::Awaiter {
 public:
  Arrival(Barrier& barrier, std::optional<std::chrono::nanoseconds> timeout) noexcept
      : Awaiter(barrier.waiters_, nullptr, nullptr, std::nullopt, timeout), barrier_(&barrier) {}
  Arrival(Arrival&& other) noexcept : Awaiter(std::move(other)), barrier_(other.barrier_) {}

  /// The last arrival of a round releases the others and does not wait.
  bool await_ready() noexcept { return barrier_->arrive(*this); }

 protected:
  /// The index, or nullopt if the wait timed out. Raises Cancelled.
  std::optional<std::size_t> index() {
    if (Awaiter::await_resume() == detail::WaitResult::timed_out) return std::nullopt;
    return index_;
  }

 private:
  friend class Barrier;
  Barrier* barrier_;
  std::size_t index_ = 0;  // written by the arrival that completes the round
};

class Barrier::WaitAwaiter : public Arrival {
 public:
  using Arrival::Arrival;
  std::size_t await_resume() { return *index(); }
};

class Barrier::WaitForAwaiter : public Arrival {
 public:
  using Arrival::Arrival;
  std::optional<std::size_t> await_resume() { return index(); }
};

inline Barrier::WaitAwaiter Barrier::wait() {
  thread_.check("tide::Barrier", this);
  return WaitAwaiter(*this, std::nullopt);
}

template <class Rep, class Period>
Barrier::WaitForAwaiter Barrier::wait_for(std::chrono::duration<Rep, Period> timeout) {
  thread_.check("tide::Barrier", this);
  return WaitForAwaiter(*this, detail::clamp_to_nanoseconds(timeout));
}

}  // namespace tide
