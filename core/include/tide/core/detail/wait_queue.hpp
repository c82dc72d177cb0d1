#pragma once

#include <coroutine>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>

namespace tide::detail {

/// A FIFO of parked waiters, woken one at a time or all at once: the waiting side of pools and
/// (later) of the sync primitives. A woken waiter has been handed what it waited for before it
/// resumes, so nothing can take it in between (no barging, no lost wake-up); a cancelled
/// waiter leaves the queue without having taken anything.
class WaitQueue {
 public:
  /// Whether the wait is over before it starts (checked when the waiter is about to park, so
  /// a wake-up between the caller's check and the parking is not lost).
  using Ready = bool (*)(const void* context) noexcept;

  class Awaiter : private Waiter {
   public:
    Awaiter(WaitQueue& queue, Ready ready, const void* context) noexcept
        : Waiter(&cancelled), queue_(&queue), ready_(ready), context_(context) {}
    Awaiter(Awaiter&& other) noexcept
        : Waiter(&cancelled),
          queue_(other.queue_),
          ready_(other.ready_),
          context_(other.context_) {}
    ~Awaiter() { queue_->unlink(*this); }

    bool await_ready() const noexcept { return ready_ != nullptr && ready_(context_); }
    template <TidePromise P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      if (!h.promise().job->park(*this, h)) {
        cancelled_ = true;
        return false;
      }
      queue_->link(*this);
      return true;
    }
    /// True if woken by the queue (handed what it waited for), false if it was ready at once.
    bool await_resume() {
      if (cancelled_) job->throw_cancelled();
      return woken_;
    }

   private:
    friend class WaitQueue;
    static void cancelled(Waiter& w) noexcept {
      auto& self = static_cast<Awaiter&>(w);
      self.queue_->unlink(self);
      self.cancelled_ = true;
      self.job->loop->schedule(self.handle);
    }
    void wake() noexcept {
      woken_ = true;
      job->unpark(*this);
      job->loop->schedule(handle);
    }

    WaitQueue* queue_;
    Ready ready_;
    const void* context_;
    Awaiter* prev_ = nullptr;
    Awaiter* next_ = nullptr;
    bool linked_ = false;
    bool cancelled_ = false;
    bool woken_ = false;
  };

  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  /// Await it to wait until woken, unless `ready(context)` says there is nothing to wait for.
  [[nodiscard]] Awaiter wait(Ready ready = nullptr, const void* context = nullptr) noexcept {
    return Awaiter(*this, ready, context);
  }
  [[nodiscard]] bool empty() const noexcept { return first_ == nullptr; }
  /// Wakes the longest waiting one; false if none waits.
  bool wake_one() noexcept {
    Awaiter* w = first_;
    if (w == nullptr) return false;
    unlink(*w);
    w->wake();
    return true;
  }
  void wake_all() noexcept {
    while (wake_one()) {
    }
  }

 private:
  void link(Awaiter& w) noexcept {
    w.prev_ = last_;
    w.next_ = nullptr;
    w.linked_ = true;
    (last_ ? last_->next_ : first_) = &w;
    last_ = &w;
  }
  void unlink(Awaiter& w) noexcept {
    if (!w.linked_) return;
    (w.prev_ ? w.prev_->next_ : first_) = w.next_;
    (w.next_ ? w.next_->prev_ : last_) = w.prev_;
    w.linked_ = false;
  }

  Awaiter* first_ = nullptr;
  Awaiter* last_ = nullptr;
};

}  // namespace tide::detail
