#pragma once

#include <chrono>

#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

/// A flag that tasks and fibres wait for, like Python's `threading.Event` / `asyncio.Event`,
/// on one loop and without threads:
///
///     tide::Event green;
///     // a car:   co_await green.wait();            (a fibre: tide::await(green.wait());)
///     // the light: green.set(); ... green.clear();
///
/// `set()` wakes every task and fibre waiting at that moment, in the order they started
/// waiting; each keeps its wake-up even if `clear()` follows at once. Waits that start while
/// the flag is set return at once.
/// Thread safety: one loop; using it from another thread throws UsageError (cross threads
/// with `tide::ThreadEvent`).
class Event {
 public:
  Event() noexcept
      : waiters_({.owner = this, .unclaimed = &Event::unclaimed, .what = "Event wait"}) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  /// No task or fibre may still wait on it.
  ~Event() = default;

  [[nodiscard]] bool is_set() const noexcept { return set_; }
  /// Sets the flag and wakes every waiter.
  void set();
  /// Clears the flag; waiters already woken stay woken.
  void clear();

  /// Awaitable: waits until the flag is set (returns at once if it is).
  /// Cancellation: the waiter leaves; an Event hands nothing out, so nothing is lost.
  class WaitAwaiter : public detail::WaitQueue::Awaiter {
   public:
    using Awaiter::Awaiter;
    void await_resume() { Awaiter::await_resume(); }
  };
  [[nodiscard]] WaitAwaiter wait();

  /// Awaitable: waits at most `timeout` for the flag; true if it was set, false if the time
  /// ran out first. Cancellation: as `wait`.
  class WaitForAwaiter : public detail::WaitQueue::Awaiter {
   public:
    using Awaiter::Awaiter;
    bool await_resume() { return Awaiter::await_resume() != detail::WaitResult::timed_out; }
  };
  template <class Rep, class Period>
  [[nodiscard]] WaitForAwaiter wait_for(std::chrono::duration<Rep, Period> timeout) {
    return wait_for_ns(detail::clamp_to_nanoseconds(timeout));
  }

 private:
  static bool flag_set(const void* self) noexcept { return static_cast<const Event*>(self)->set_; }
  // Every waiter `set` wakes gets a wake-up of its own, so one destroyed before it resumes has
  // nothing to pass on. (Without this hook the queue would wake the next waiter, which may
  // have started waiting after a `clear`.)
  static void unclaimed(void*) noexcept {}
  WaitForAwaiter wait_for_ns(std::chrono::nanoseconds timeout);

  detail::WaitQueue waiters_;
  detail::ThreadBound thread_;
  bool set_ = false;
};

}  // namespace tide
