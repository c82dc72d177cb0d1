#pragma once

#include <tide/core/detail/wait_queue.hpp>

namespace tide::io::detail {

/// One holder at a time, the others waiting in FIFO order: what keeps two tasks that send on
/// one Channel from interleaving the bytes of their frames (and two receivers from sharing
/// one frame). The turn is handed from holder to the next waiter directly, so nobody can
/// barge in between. Lives at a fixed address (the wait queue points back to it).
/// Loop thread only.
class Turn {
 public:
  Turn() noexcept : waiters_({.owner = this, .unclaimed = &unclaimed, .what = "Channel turn"}) {}
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;

  /// True when nobody holds the turn: the caller takes it by calling `take()`.
  [[nodiscard]] bool free() const noexcept { return !busy_; }
  void take() noexcept { busy_ = true; }
  /// Await it while the turn is held; once it returns (woken), the turn is the caller's.
  /// Cancellation: leaves the queue, the turn untouched.
  [[nodiscard]] tide::detail::WaitQueue::Awaiter wait() noexcept { return waiters_.wait(); }
  /// Hands the turn to the longest waiter, or frees it.
  void release() noexcept {
    if (!waiters_.wake_one()) busy_ = false;
  }

 private:
  // A waiter handed the turn was destroyed before it resumed: pass the turn on.
  static void unclaimed(void* self) noexcept { static_cast<Turn*>(self)->release(); }

  tide::detail::WaitQueue waiters_;
  bool busy_ = false;  // someone holds the turn (a woken waiter holds it before it resumes)
};

/// Releases a held Turn on scope exit.
class TurnGuard {
 public:
  explicit TurnGuard(Turn& turn) noexcept : turn_(&turn) {}
  TurnGuard(const TurnGuard&) = delete;
  TurnGuard& operator=(const TurnGuard&) = delete;
  ~TurnGuard() { turn_->release(); }

 private:
  Turn* turn_;
};

}  // namespace tide::io::detail
