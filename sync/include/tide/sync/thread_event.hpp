#pragma once

#include <chrono>
#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include <tide/core/detail/promise.hpp>
#include <tide/core/sleep.hpp>
#include <tide/sync/detail/thread_wait.hpp>

namespace tide {

/// A flag set and waited for across threads, like Python's `threading.Event`, whose waiters
/// may be plain threads, tasks and fibres on any loop:
///
///     tide::ThreadEvent ready;
///     // a thread:  ready.wait();                bool ok = ready.wait_for(1s);   (they block)
///     // a task:    co_await ready.wait();       bool ok = co_await ready.wait_for(1s);
///     // a fibre:   tide::await(ready.wait());   bool ok = tide::await(ready.wait_for(1s));
///     // anywhere:  ready.set(); ... ready.clear();
///
/// `set()` wakes every waiter of that moment, in the order they started waiting; each keeps its
/// wake-up even if `clear()` follows at once. Waits that start while the flag is set return at
/// once. Not awaited, `wait()` blocks the calling thread (a statement) and `wait_for(d)` blocks
/// when converted to bool; in a fibre they suspend the fibre instead, and in a task on a
/// running loop they are a UsageError, since they would block the loop.
///
/// Thread safety: every member may be called from any thread. The event must outlive every
/// thread, task and fibre waiting on it.
class ThreadEvent {
 public:
  ThreadEvent() noexcept = default;
  ThreadEvent(const ThreadEvent&) = delete;
  ThreadEvent& operator=(const ThreadEvent&) = delete;
  /// Nothing may still wait on it.
  ~ThreadEvent() = default;

  [[nodiscard]] bool is_set() const;
  /// Sets the flag and wakes every waiter (threads at once, tasks and fibres through their
  /// loops).
  void set() noexcept;
  /// Clears the flag; waiters already woken stay woken.
  void clear() noexcept;

  /// Awaiter of `co_await ev.wait()` (void) and `co_await ev.wait_for(d)` (true if set, false
  /// if the time ran out first).
  /// Cancellation: the waiter leaves; a wake-up that came first stands (the wait completes and
  /// `Cancelled` comes at the next suspension). A deadline that passes after the waiter was
  /// woken changes nothing: it returns true.
  class WaitAwaiter : public detail::CrossAwaiter {
   public:
    WaitAwaiter(ThreadEvent& event, std::optional<std::chrono::nanoseconds> timeout) noexcept
        : CrossAwaiter(event.mutex_, event.waiters_, &event, nullptr, "ThreadEvent wait"),
          event_(&event),
          timeout_(timeout) {}
    WaitAwaiter(WaitAwaiter&& other) noexcept
        : CrossAwaiter(std::move(other)), event_(other.event_), timeout_(other.timeout_) {}

    bool await_ready() const { return event_->is_set(); }
    template <detail::TidePromise P>
    bool await_suspend(std::coroutine_handle<P> h) {
      return suspend(h, std::make_shared<detail::CrossNode>(), timeout_,
                     [&] { return event_->set_; });
    }
    /// False if the deadline passed first.
    bool await_resume() { return finish() != detail::CrossState::left; }

   private:
    ThreadEvent* event_;
    std::optional<std::chrono::nanoseconds> timeout_;
  };

  /// `wait()`'s result: awaited, or discarded (`ev.wait();` blocks until the flag is set).
  /// Cancellation and thread safety: see WaitAwaiter and the class.
  class WaitOp {  // not [[nodiscard]]: `ev.wait();` is the blocking form
   public:
    WaitOp(WaitOp&& other) noexcept : event_(other.event_) { other.used_ = true; }
    WaitOp& operator=(WaitOp&&) = delete;
    ~WaitOp() noexcept(false) {
      if (!used_ && std::uncaught_exceptions() == uncaught_) {
        used_ = true;
        detail::wait_from_plain_code(
            "tide::ThreadEvent", event_, "wait()", [&] { return Awaiter(*event_, std::nullopt); },
            [&] { event_->block(std::nullopt); });
      }
    }
    class Awaiter : public WaitAwaiter {
     public:
      using WaitAwaiter::WaitAwaiter;
      void await_resume() { WaitAwaiter::await_resume(); }
    };
    Awaiter operator co_await() && noexcept {
      used_ = true;
      return Awaiter(*event_, std::nullopt);
    }

   private:
    friend class ThreadEvent;
    explicit WaitOp(ThreadEvent& event) noexcept : event_(&event) {}
    ThreadEvent* event_;
    int uncaught_ = std::uncaught_exceptions();
    bool used_ = false;
  };

  /// `wait_for(d)`'s result: awaited, or converted to bool (blocking at most `d`).
  class [[nodiscard]] WaitForOp {
   public:
    /// Blocks until the flag is set (true) or the time has run out (false).
    operator bool() const {  // NOLINT(google-explicit-constructor): `bool ok = ev.wait_for(d);`
      return detail::wait_from_plain_code(
          "tide::ThreadEvent", event_, "wait_for()", [&] { return WaitAwaiter(*event_, timeout_); },
          [&] { return event_->block(detail::deadline_after(detail::Clock::now(), timeout_)); });
    }
    WaitAwaiter operator co_await() const&& noexcept { return WaitAwaiter(*event_, timeout_); }

   private:
    friend class ThreadEvent;
    WaitForOp(ThreadEvent& event, std::chrono::nanoseconds timeout) noexcept
        : event_(&event), timeout_(timeout) {}
    ThreadEvent* event_;
    std::chrono::nanoseconds timeout_;
  };

  /// Waits until the flag is set: see WaitOp.
  /// Cancellation: see WaitAwaiter.
  /// Thread safety: any thread; awaited on a loop's thread, discarded on a plain thread.
  WaitOp wait() noexcept { return WaitOp(*this); }

  /// Waits at most `timeout` for the flag: true if it was set, false if the time ran out.
  /// Cancellation: see WaitAwaiter.
  /// Thread safety: any thread; awaited on a loop's thread, converted on a plain thread.
  template <class Rep, class Period>
  WaitForOp wait_for(std::chrono::duration<Rep, Period> timeout) noexcept {
    return WaitForOp(*this, detail::clamp_to_nanoseconds(timeout));
  }

 private:
  // A plain thread waits for the flag until `deadline`; false if it passed first.
  bool block(std::optional<detail::Clock::time_point> deadline);

  mutable std::mutex mutex_;
  bool set_ = false;           // guarded by mutex_
  detail::CrossList waiters_;  // guarded by mutex_: oldest first; only while the flag is clear
};

}  // namespace tide
