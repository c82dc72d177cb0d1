#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>

#include <tide/core/detail/child_set.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/task.hpp>
#include <tide/net/stream_socket.hpp>
#include <tide/sync/semaphore.hpp>

namespace tide::net {

/// How `serve` runs connections.
struct ServeOptions {
  /// Connections served at once; more wait in the listener's backlog until one ends.
  std::size_t max_connections = 10'000;
  /// Time from accepting a connection until its handler calls `stream.clear_deadline()`
  /// (having read a request's header, say); a client that dribbles its header in is dropped
  /// when it passes (zero: no such deadline).
  std::chrono::nanoseconds header_timeout{0};
  /// A connection that moves no bytes for this long is dropped (zero: never).
  std::chrono::nanoseconds idle_timeout{0};
  /// On shutdown, how long handlers may go on before they are cancelled.
  std::chrono::nanoseconds shutdown_grace = std::chrono::seconds(10);
  /// Fibre handlers: the fibres' options (stack size...).
  FiberOptions fiber;
  /// Called with what a handler threw (other than Cancelled and TimeoutError, which end a
  /// connection normally). Default: one line on stderr.
  std::function<void(std::exception_ptr)> on_error;
};

/// What `serve` counts, readable while it runs (ServeOptions carries no pointer to it: pass one
/// to `serve`).
struct ServeStats {
  std::uint64_t accepted = 0;
  std::size_t active = 0;
  std::size_t peak = 0;
  std::uint64_t failed = 0;     // handlers that threw
  std::uint64_t timed_out = 0;  // connections a deadline or the idle timeout ended
  std::uint64_t cancelled = 0;  // handlers cancelled at shutdown
};

namespace detail {

/// serve()'s state that does not depend on the handler's type: the running connections, the
/// slots that cap them, and the options applied to each.
class Connections {
 public:
  Connections(ServeOptions options, ServeStats* stats);

  /// A free slot for one more connection (waits while `max_connections` are served).
  [[nodiscard]] auto slot() { return slots_.scoped_acquire(); }
  /// Starts serving a connection (`task` owns its stream and slot).
  void start(Task<void> task);
  /// Applies the header deadline and idle timeout to a new connection.
  void prepare(StreamSocket& stream);
  /// A handler ended: counts how, reports a failure.
  void ended(std::exception_ptr error, const StreamSocket& stream) noexcept;
  /// Waits for every connection to end: up to `shutdown_grace`, then cancels them.
  Task<void> drain();
  /// Cancels every connection and waits for them to end.
  Task<void> cancel_all();

  [[nodiscard]] const ServeOptions& options() const noexcept { return options_; }

 private:
  ServeOptions options_;
  ServeStats own_stats_;
  ServeStats* stats_;
  Semaphore slots_;
  tide::detail::ChildSet children_{tide::detail::ChildSet::Policy::all};
};

}  // namespace detail
}  // namespace tide::net
