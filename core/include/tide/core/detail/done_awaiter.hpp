#pragma once

#include <coroutine>
#include <optional>
#include <utility>

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
      : Waiter(&cancelled), JoinWatcher{&finished}, target_(&target), until_(until) {}
  DoneAwaiter(DoneAwaiter&& other) noexcept
      : Waiter(&cancelled), JoinWatcher{&finished}, target_(other.target_), until_(other.until_) {}
  ~DoneAwaiter() { stop_watching(); }

  bool await_ready() const noexcept { return over(); }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    Job& j = *h.promise().job;
    if (!j.park(*this, h)) {
      cancelled_ = true;
      return false;
    }
    if (until_) {
      if (*until_ <= Clock::now()) {  // no time left: do not suspend at all
        j.unpark(*this);
        return false;
      }
      deadline = *until_;
      fire = &timed_out;
      try {
        j.loop->add_timer(*this);
      } catch (...) {
        j.unpark(*this);
        throw;
      }
    }
    target_->watch(*this);
    return true;
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
  void wake() noexcept {
    stop_watching();
    job->unpark(*this);
    job->loop->schedule(handle);
  }
  static void finished(JoinWatcher& w) noexcept { static_cast<DoneAwaiter&>(w).wake(); }
  static void timed_out(TimerNode& t) noexcept { static_cast<DoneAwaiter&>(t).wake(); }
  static void cancelled(Waiter& w) noexcept {
    auto& self = static_cast<DoneAwaiter&>(w);
    self.cancelled_ = true;
    self.stop_watching();
    self.job->loop->schedule(self.handle);
  }

  OwnedJob* target_;
  std::optional<Clock::time_point> until_;
  bool cancelled_ = false;
};

}  // namespace tide::detail
