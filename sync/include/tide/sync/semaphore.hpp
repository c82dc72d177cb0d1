#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>

#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

namespace detail {

/// The counter and wait queue behind Semaphore and BoundedSemaphore (each owns one and adds
/// its own `release` rules). A permit is either free (`free_`) or held: by a task or fibre
/// that acquired it, or by a woken waiter that has not resumed yet. `release` hands permits
/// to waiters before it counts them free, so waiters queue only while no permit is free
/// (invariant: `!waiters_.empty()` implies `free_ == 0`), and nobody can barge past them.
class Permits {
 public:
  /// `type` names the owning class in error messages ("tide::Semaphore").
  Permits(std::size_t initial, const char* type) noexcept;
  Permits(const Permits&) = delete;
  Permits& operator=(const Permits&) = delete;

  /// Takes a free permit if there is one; never waits.
  bool try_take() noexcept;
  /// Gives `n` permits back: the longest waiting tasks and fibres get them first, the rest
  /// become free. No check against a bound (the owner checks).
  void give(std::size_t n) noexcept;
  void check_thread() const { thread_.check(type_, this); }

  [[nodiscard]] std::size_t free() const noexcept { return free_; }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  [[nodiscard]] WaitQueue& queue() noexcept { return waiters_; }

 private:
  static void unclaimed(void* self) noexcept;
  static void describe(const void* self, WaitInfo& info);

  WaitQueue waiters_;  // tasks and fibres waiting for a permit, oldest first
  ThreadBound thread_;
  std::size_t free_;  // permits nobody holds; zero whenever someone waits
  const char* type_;  // for messages: which class owns these permits
};

/// Waits for one permit. A woken waiter already holds its permit when it resumes (the waker
/// took it for it); one destroyed before it resumes gives it to the next waiter.
class PermitAwaiter : public WaitQueue::Awaiter {
 public:
  PermitAwaiter(Permits& permits, std::optional<std::chrono::nanoseconds> timeout) noexcept
      : Awaiter(permits.queue(), nullptr, nullptr, std::nullopt, timeout), permits_(&permits) {}
  PermitAwaiter(PermitAwaiter&& other) noexcept
      : Awaiter(std::move(other)), permits_(other.permits_) {}

  /// A free permit is taken here, so a wait that does not suspend already holds it.
  bool await_ready() noexcept { return permits_->try_take(); }
  /// True if the permit is held; false if the time ran out first. Raises Cancelled.
  bool acquired() { return Awaiter::await_resume() != WaitResult::timed_out; }

 protected:
  Permits* permits_;
};

}  // namespace detail

/// Holds one permit of a Semaphore or BoundedSemaphore and gives it back when destroyed (or
/// at `release()`). Move-only; a moved-from or released guard holds nothing.
/// Thread safety: the loop of its semaphore only.
class SemaphoreGuard {
 public:
  SemaphoreGuard() noexcept = default;
  explicit SemaphoreGuard(detail::Permits& permits) noexcept : permits_(&permits) {}
  SemaphoreGuard(SemaphoreGuard&& other) noexcept
      : permits_(std::exchange(other.permits_, nullptr)) {}
  SemaphoreGuard& operator=(SemaphoreGuard&& other) noexcept {
    if (this != &other) {
      release();
      permits_ = std::exchange(other.permits_, nullptr);
    }
    return *this;
  }
  SemaphoreGuard(const SemaphoreGuard&) = delete;
  SemaphoreGuard& operator=(const SemaphoreGuard&) = delete;
  ~SemaphoreGuard() { release(); }

  /// Whether it still holds a permit.
  [[nodiscard]] bool owns_permit() const noexcept { return permits_ != nullptr; }
  /// Gives the permit back now (to the longest waiter, if any); no effect if it holds none.
  void release() noexcept {
    if (permits_) std::exchange(permits_, nullptr)->give(1);
  }

 private:
  detail::Permits* permits_ = nullptr;
};

namespace detail {

/// What Semaphore and BoundedSemaphore share: the permits, the awaiting members and the
/// counts. Each adds its own `release` (BoundedSemaphore's checks the bound); neither derives
/// from the other, so a BoundedSemaphore is never released through an unchecked `release`.
class SemaphoreBase {
 public:
  /// Awaitable: waits for a permit and takes it (returns at once if one is free).
  /// Cancellation: a waiter cancelled before its turn leaves the queue and takes no permit
  /// (the next waiter gets it); one handed a permit first keeps it, and `Cancelled` comes at
  /// its next suspension. A task destroyed after it was handed a permit, before it resumed,
  /// passes it on.
  /// Thread safety: loop thread only.
  class AcquireAwaiter : public detail::PermitAwaiter {
   public:
    using PermitAwaiter::PermitAwaiter;
    void await_resume() { acquired(); }
  };
  [[nodiscard]] AcquireAwaiter acquire() {
    permits_.check_thread();
    return AcquireAwaiter(permits_, std::nullopt);
  }

  /// Awaitable: as `acquire`, waiting at most `timeout`; true if it took a permit, false if
  /// the time ran out first (then it holds none). Cancellation: as `acquire`.
  /// Thread safety: loop thread only.
  class AcquireForAwaiter : public detail::PermitAwaiter {
   public:
    using PermitAwaiter::PermitAwaiter;
    bool await_resume() { return acquired(); }
  };
  template <class Rep, class Period>
  [[nodiscard]] AcquireForAwaiter acquire_for(std::chrono::duration<Rep, Period> timeout) {
    permits_.check_thread();
    return AcquireForAwaiter(permits_, detail::clamp_to_nanoseconds(timeout));
  }

  /// Awaitable: as `acquire`, yielding a SemaphoreGuard that releases the permit.
  /// Cancellation: as `acquire`. Thread safety: loop thread only.
  class ScopedAcquireAwaiter : public detail::PermitAwaiter {
   public:
    using PermitAwaiter::PermitAwaiter;
    SemaphoreGuard await_resume() {
      acquired();
      return SemaphoreGuard(*permits_);
    }
  };
  [[nodiscard]] ScopedAcquireAwaiter scoped_acquire() {
    permits_.check_thread();
    return ScopedAcquireAwaiter(permits_, std::nullopt);
  }

  /// Takes a free permit if there is one; never waits (and never takes one a waiter is owed).
  [[nodiscard]] bool try_acquire() {
    permits_.check_thread();
    return permits_.try_take();
  }
  /// Free permits (those no task or fibre holds, and none is about to receive).
  [[nodiscard]] std::size_t value() const {
    permits_.check_thread();
    return permits_.free();
  }
  /// Tasks and fibres waiting for a permit.
  [[nodiscard]] std::size_t n_waiting() const {
    permits_.check_thread();
    return permits_.waiting();
  }

 protected:
  SemaphoreBase(std::size_t initial, const char* type) noexcept : permits_(initial, type) {}
  SemaphoreBase(const SemaphoreBase&) = delete;
  SemaphoreBase& operator=(const SemaphoreBase&) = delete;
  ~SemaphoreBase() = default;

  detail::Permits permits_;
};

}  // namespace detail

/// A counter of permits that tasks and fibres acquire and release, like Python's
/// `asyncio.Semaphore` / `threading.Semaphore`, on one loop and without threads:
///
///     tide::Semaphore slots(5);           // at most five downloads at a time
///     // a task:  auto slot = co_await slots.scoped_acquire();  ... (released at scope end)
///     // a fibre: auto slot = tide::await(slots.scoped_acquire());
///
/// Waiters get permits in the order they started waiting: `release` hands each permit to the
/// longest waiting task or fibre before that one resumes, so nobody arriving later (not even
/// `try_acquire`) can take it first. `release` does not check a bound (BoundedSemaphore does).
/// The awaiting members (`acquire`, `acquire_for`, `scoped_acquire`, `try_acquire`, `value`,
/// `n_waiting`) are in detail::SemaphoreBase.
/// Thread safety: one loop; using it from another thread throws UsageError.
class Semaphore : public detail::SemaphoreBase {
 public:
  explicit Semaphore(std::size_t initial) noexcept : SemaphoreBase(initial, "tide::Semaphore") {}

  /// Gives `n` permits back, one to each of the longest waiting tasks and fibres (FIFO); the
  /// rest become free. Throws UsageError if the count would overflow.
  void release(std::size_t n = 1);
};

}  // namespace tide
