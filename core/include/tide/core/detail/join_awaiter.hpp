#pragma once

#include <coroutine>
#include <string>
#include <utility>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/owned_job.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>

namespace tide::detail {

/// Waits for an owned job (task or fibre) to finish, then takes its result with `Take`.
/// Resumes the awaiter through the loop's ready queue. Cancelling the awaiter cancels the
/// awaited job and keeps waiting until it has finished; `Cancelled` is then raised (or, if the
/// job finished with a value anyway, the value is returned and `Cancelled` comes at the next
/// suspension).
template <class T, class Target, T (*Take)(Target&)>
class JoinAwaiter : private Waiter, private JoinWatcher {
 public:
  explicit JoinAwaiter(Target* target) noexcept
      : Waiter(&cancelled, &describe), JoinWatcher(&finished), target_(target) {}
  JoinAwaiter(JoinAwaiter&& other) noexcept
      : Waiter(&cancelled, &describe),
        JoinWatcher(&finished),
        target_(std::exchange(other.target_, nullptr)) {}
  ~JoinAwaiter() {
    if (target_) target_->unwatch(*this);
  }

  bool await_ready() const noexcept { return target_->finished; }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    // False: a cancellation is pending; await_resume delivers it now.
    return park_and_arm(*h.promise().job, h, [&]() noexcept { target_->watch(*this); });
  }
  T await_resume() {
    if (!target_->finished) {
      if (target_->frame_destroyed)
        throw LoopClosed("tide: the loop was destroyed before " + target_->describe() +
                         " finished");
      job->throw_cancelled();  // park() refused: a cancellation was pending
    }
    if (forwarded_ && target_->ended_cancelled()) job->cancel_pending = false;
    target_->result_taken = true;
    return Take(*target_);
  }

 private:
  static void finished(JoinWatcher& w) noexcept { static_cast<JoinAwaiter&>(w).wake(); }
  static void describe(const Waiter& w, WaitInfo& info) {
    const auto& self = static_cast<const JoinAwaiter&>(w);
    info.what = "join of " + self.target_->describe();
    info.blocked_by = self.target_;
  }
  static void cancelled(Waiter& w) noexcept {
    // Forward the cancellation and keep waiting: the awaited job must finish first.
    auto& self = static_cast<JoinAwaiter&>(w);
    self.forwarded_ = true;
    self.job->waiting = &self;
    self.target_->request_cancel();
  }

  Target* target_;
  bool forwarded_ = false;
};

}  // namespace tide::detail
