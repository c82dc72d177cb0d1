#pragma once

#include <chrono>

#include <tide/core/detail/callback.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/loop.hpp>

namespace tide {

/// A callback timer on a loop, for callback-style and embedding code (libuv's `uv_timer_t`,
/// Asio's `steady_timer`). Tasks use `sleep_for` / `timeout` instead.
///
/// The callback runs on the loop thread in the timer phase of the iteration at or after the
/// deadline, in deadline order (FIFO among equal deadlines). An exception it throws surfaces
/// from `run()` / `run_once()`, like a posted callback's. Restarting an armed timer moves it.
/// Thread safety: loop thread only.
class Timer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Timer(Loop& loop) noexcept;
  /// Cancels the timer if armed.
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// Arms the timer `delay` from the loop's `now()` (negative: now; past the clock's range:
  /// never).
  template <class Rep, class Period, class F>
  void start(std::chrono::duration<Rep, Period> delay, F&& callback) {
    start_at(detail::deadline_after(loop_->now(), delay), std::forward<F>(callback));
  }
  /// Arms the timer for `deadline`.
  template <class F>
  void start_at(Clock::time_point deadline, F&& callback) {
    arm(deadline, detail::Callback(std::forward<F>(callback)));
  }

  /// Disarms the timer; its callback will not run. Returns whether it was armed.
  bool cancel() noexcept;
  [[nodiscard]] bool armed() const noexcept { return node_.armed(); }

 private:
  struct Node : detail::TimerNode {
    Timer* owner = nullptr;
  };
  void arm(Clock::time_point deadline, detail::Callback callback);
  static void fired(detail::TimerNode& node);

  detail::LoopCore* loop_;
  Node node_;
  detail::Callback callback_;
};

}  // namespace tide
