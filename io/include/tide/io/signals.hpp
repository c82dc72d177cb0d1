#pragma once

#include <coroutine>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>

#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/wait_queue.hpp>

namespace tide {
class Loop;
}

namespace tide::io {

/// A subscription to POSIX signals, awaited on the loop:
///
///     tide::Signals signals{SIGINT, SIGTERM};
///     int sig = co_await signals.wait();          // in a task
///     int sig = tide::await(signals.wait());      // in a fibre
///
/// While any Signals object subscribes to a signal, tide's handler replaces the signal's
/// disposition; when the last subscription goes away the previous disposition (handler,
/// SIG_IGN or SIG_DFL, with its flags and mask) is put back. The handler only does
/// async-signal-safe work: it marks the signal pending on every subscribed object and writes a
/// byte to that object's self-pipe, which the loop watches. So it works whatever thread the
/// kernel picks to run it (a loop, the ThreadPool, the user's own threads, whose masks tide
/// does not touch), on every backend, and nothing needs to be blocked.
///
/// Delivery:
/// - Every Signals object subscribed to a signal sees every delivery of it.
/// - On one object, a delivery wakes every task and fibre waiting in `wait()` at that moment;
///   each gets the signal number.
/// - A delivery nobody waits for stays pending and is returned by the next `wait()` (or
///   `try_wait()`). While pending, further deliveries of the same signal coalesce into one, as
///   the kernel does; several different pending signals are returned lowest number first.
///   Real-time signals coalesce too (they are not queued as sigqueue(3) would).
///
/// Which signals: any from 1 to SIGRTMAX except SIGKILL and SIGSTOP (they cannot be caught),
/// the synchronous fault signals SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP (their handler
/// has to act in the faulting thread before it returns, so waiting for them makes no sense),
/// and the two real-time signals glibc keeps for itself (32 and 33, below SIGRTMIN). Anything
/// else is std::invalid_argument naming the signal. SIGCHLD may be subscribed; tide's Process
/// does not need it (it waits on pidfds), so this does not disturb it.
///
/// A forked child does not inherit subscriptions: in the child, tide's dispositions go back to
/// what they were before tide took the signals (so `terminate()` of a forked child still
/// terminates it).
///
/// Thread safety: a Signals object belongs to the loop it was made on (loop thread only).
/// Objects on different loops and threads may subscribe to the same signals at once.
class Signals {
  struct State;

 public:
  class WaitAwaiter;

  /// Subscribes to `signals` (may be empty: see `add`) on the loop running on this thread
  /// (UsageError if none). Throws std::invalid_argument for a signal that cannot be waited
  /// for, std::system_error if a pipe cannot be made (EMFILE) or sigaction(2) fails, and
  /// std::length_error when 256 Signals objects are alive at once.
  Signals(std::initializer_list<int> signals);
  Signals(Loop& loop, std::initializer_list<int> signals);
  /// A moved-from Signals may only be destroyed or assigned to.
  Signals(Signals&&) noexcept;
  Signals& operator=(Signals&&) noexcept;
  /// Unsubscribes (restoring dispositions nobody else subscribes to). Tasks still waiting get
  /// std::system_error (EBADF).
  ~Signals();

  /// Adds a signal to the subscription (nothing if already there). Errors as the constructor.
  void add(int signal);
  /// Removes a signal (nothing if not there); a pending delivery of it is dropped.
  void remove(int signal);
  [[nodiscard]] bool contains(int signal) const noexcept;

  /// Awaitable: waits for a delivery of a subscribed signal and returns its number; returns at
  /// once if one is pending.
  /// Cancellation: a waiting task or fibre leaves the queue with `Cancelled`, and takes nothing
  /// with it: a delivery that arrives later goes to the others, or stays pending. A delivery
  /// that came first wins (the signal is returned and `Cancelled` comes at the next
  /// suspension point).
  /// Thread safety: loop thread only.
  [[nodiscard]] WaitAwaiter wait() noexcept;
  /// A pending delivery (the lowest pending signal), without waiting.
  [[nodiscard]] std::optional<int> try_wait() noexcept;

  /// Tasks and fibres waiting in `wait()`.
  [[nodiscard]] std::size_t waiting() const noexcept;

 private:
  std::unique_ptr<State> state_;
};

/// One `wait()`; see Signals::wait.
class Signals::WaitAwaiter : public tide::detail::WaitQueue::Awaiter {
 public:
  explicit WaitAwaiter(State& state) noexcept;
  WaitAwaiter(WaitAwaiter&& other) noexcept : WaitAwaiter(*other.state_) {}

  bool await_ready() noexcept;
  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, [this] { arm(); });
  }
  /// The signal number. Throws Cancelled, or std::system_error when the Signals object was
  /// destroyed (EBADF) or its pipe failed.
  int await_resume();

 private:
  friend struct Signals::State;
  void arm();

  State* state_;    // null once the Signals object was destroyed under this wait
  int signal_ = 0;  // > 0: the signal handed over; < 0: -errno of a failure; 0: none yet
};

}  // namespace tide::io

namespace tide {
using io::Signals;
}
