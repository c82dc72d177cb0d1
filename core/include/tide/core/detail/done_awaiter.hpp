#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/owned_job.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/timer_heap.hpp>

namespace tide::detail {

/// Waits until an owned job has finished, or a deadline passes; returns whether it finished.
/// Takes nothing from the job, so any number of waiters may wait for the same one.
/// Cancellation: stops waiting (the job runs on) and raises `Cancelled`.
class DoneAwaiter : private Waiter, private JoinWatcher, private TimerNode {
 public:
  explicit DoneAwaiter(OwnedJob& target, std::optional<Clock::time_point> until = {}) noexcept
      : Waiter(&cancelled, &describe), JoinWatcher(&finished), target_(&target), until_(until) {}
  DoneAwaiter(DoneAwaiter&& other) noexcept
      : Waiter(&cancelled, &describe),
        JoinWatcher(&finished),
        target_(other.target_),
        until_(other.until_) {}
  ~DoneAwaiter() { stop_watching(); }

  bool await_ready() const noexcept { return over(); }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (until_ && *until_ <= Clock::now()) {  // no time left: do not suspend at all
      if (h.promise().job->cancel_pending) cancelled_ = true;
      return false;
    }
    Job& j = *h.promise().job;
    const bool parked = park_and_arm(j, h, [&] {
      if (until_) {
        deadline = *until_;
        fire = &timed_out;
        j.loop->add_timer(*this);
      }
      target_->watch(*this);
    });
    cancelled_ = !parked;
    return parked;
  }
  bool await_resume() {
    if (cancelled_) job->throw_cancelled();
    return target_->finished;
  }

 private:
  [[nodiscard]] bool over() const noexcept { return target_->finished || target_->frame_destroyed; }
  void stop_watching() noexcept {
    target_->unwatch(*this);
    if (job) job->loop->remove_timer(*this);
  }
  void over_now() noexcept {
    stop_watching();
    wake();
  }
  static void finished(JoinWatcher& w) noexcept { static_cast<DoneAwaiter&>(w).over_now(); }
  static void timed_out(TimerNode& t) noexcept { static_cast<DoneAwaiter&>(t).over_now(); }
  static void describe(const Waiter& w, WaitInfo& info) {
    const auto& self = static_cast<const DoneAwaiter&>(w);
    info.what = "join of " + self.target_->describe();
    if (self.until_) info.what += " until " + describe_deadline(*self.until_);
    info.blocked_by = self.target_;
  }
  static void cancelled(Waiter& w) noexcept {
    auto& self = static_cast<DoneAwaiter&>(w);
    self.cancelled_ = true;
    self.stop_watching();
    self.resume_cancelled();
  }

  OwnedJob* target_;
  std::optional<Clock::time_point> until_;
  bool cancelled_ = false;
};

}  // namespace tide::detail
