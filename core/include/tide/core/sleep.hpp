#pragma once

#include <chrono>
#include <coroutine>
#include <exception>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/timer_heap.hpp>

namespace tide {

namespace detail {

/// Suspends the awaiting task until a deadline on the loop's clock.
class SleepAwaiter : private Waiter, private TimerNode {
 public:
  /// `until` is computed at suspension from the loop's cached `now()`.
  struct After {
    std::chrono::nanoseconds delay;
  };
  explicit SleepAwaiter(After after) noexcept
      : Waiter(&cancelled, &describe), delay_(after.delay), relative_(true) {}
  explicit SleepAwaiter(Clock::time_point until) noexcept
      : Waiter(&cancelled, &describe), until_(until) {}
  SleepAwaiter(SleepAwaiter&& other) noexcept
      : Waiter(&cancelled, &describe),
        until_(other.until_),
        delay_(other.delay_),
        relative_(other.relative_) {}
  ~SleepAwaiter() {
    if (loop_) loop_->remove_timer(*this);
  }

  bool await_ready() const noexcept { return false; }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    Job& j = *h.promise().job;
    const bool parked = park_and_arm(j, h, [&] {
      deadline = relative_ ? deadline_after(j.loop->now(), delay_) : until_;
      fire = &fired;
      j.loop->add_timer(*this);
      loop_ = j.loop;
    });
    cancelled_ = !parked;
    return parked;
  }
  void await_resume() {
    if (cancelled_) job->throw_cancelled();
  }

 private:
  static void fired(TimerNode& t) noexcept { static_cast<SleepAwaiter&>(t).wake(); }
  static void describe(const Waiter& w, WaitInfo& info) {
    info.what = "sleep until " + describe_deadline(static_cast<const SleepAwaiter&>(w).deadline);
  }
  static void cancelled(Waiter& w) noexcept {
    auto& self = static_cast<SleepAwaiter&>(w);
    self.loop_->remove_timer(self);
    self.cancelled_ = true;
    self.resume_cancelled();
  }

  Clock::time_point until_{};
  std::chrono::nanoseconds delay_{};
  bool relative_ = false;
  bool cancelled_ = false;
  LoopCore* loop_ = nullptr;
};

/// Clamps any duration into nanoseconds: negative -> 0, too large -> nanoseconds::max().
template <class Rep, class Period>
std::chrono::nanoseconds clamp_to_nanoseconds(std::chrono::duration<Rep, Period> d) noexcept {
  using std::chrono::nanoseconds;
  using Wide = std::chrono::duration<long double, std::nano>;
  if (d <= d.zero()) return nanoseconds::zero();
  if (Wide(d) >= Wide(nanoseconds::max())) return nanoseconds::max();
  return std::chrono::ceil<nanoseconds>(d);
}

/// Yields the running fibre to the loop once (the body of a discarded `tide::yield_now()`).
/// A template so that tasks need not see the fibre machinery: fiber_job.hpp defines it, and
/// code that includes it (every fibre user) gets the switch inline, which saves a mispredicted
/// return per yield (~10 ns of ~35); elsewhere the call goes to the one instantiation in
/// fiber_job.cpp. The parameter is only there to make it a template.
template <class = void>
void yield_fiber();

class YieldAwaiter {
 public:
  YieldAwaiter() noexcept = default;
  YieldAwaiter(YieldAwaiter&& other) noexcept : uncaught_(other.uncaught_) {
    other.awaited_ = true;  // the moved-to one is the one awaited
  }
  YieldAwaiter& operator=(const YieldAwaiter&) = delete;
  /// Not awaited (`tide::yield_now();` as a statement): a fibre yields here.
  ~YieldAwaiter() noexcept(false) {
    if (!awaited_ && std::uncaught_exceptions() == uncaught_) {
      awaited_ = true;
      yield_fiber<>();
    }
  }

  bool await_ready() noexcept {
    awaited_ = true;
    return false;
  }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    job_ = h.promise().job;
    if (job_->cancel_pending) return false;
    job_->loop->schedule(h, job_);
    return true;
  }
  void await_resume() {
    if (job_->cancel_pending) job_->throw_cancelled();
  }

 private:
  Job* job_ = nullptr;
  int uncaught_ = std::uncaught_exceptions();
  bool awaited_ = false;
};

}  // namespace detail

/// Suspends the task for `delay` on the loop's clock; a negative delay means no delay (the task
/// still yields to the loop once), and delays past the clock's range never end.
/// Cancellation: wakes at once with `Cancelled`; the timer is removed.
/// Thread safety: loop thread only.
template <class Rep, class Period>
[[nodiscard]] detail::SleepAwaiter sleep_for(std::chrono::duration<Rep, Period> delay) noexcept {
  return detail::SleepAwaiter(detail::SleepAwaiter::After{detail::clamp_to_nanoseconds(delay)});
}

/// Suspends the task until `deadline` on the loop's clock (a deadline in the past yields once).
/// Cancellation: as `sleep_for`.
[[nodiscard]] inline detail::SleepAwaiter sleep_until(
    std::chrono::steady_clock::time_point deadline) noexcept {
  return detail::SleepAwaiter(deadline);
}

/// Lets every other ready task and fibre run once before this one continues (FIFO).
/// In a task: `co_await tide::yield_now();`. In a fibre: `tide::yield_now();`.
/// Cancellation: a pending cancellation is raised here (`Cancelled`; `FiberExit` in a fibre).
inline detail::YieldAwaiter yield_now() noexcept {
  return {};
}

}  // namespace tide
