#pragma once

#include <concepts>
#include <exception>
#include <type_traits>
#include <utility>

#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/net/detail/connections.hpp>
#include <tide/sync/event.hpp>

namespace tide::net {

namespace detail {

template <class Listener>
using StreamOf =
    typename std::remove_cvref_t<decltype(std::declval<Listener&>().accept())>::value_type;

// A handler returning a Task runs as a task; one returning void runs as a fibre.
template <class Handler, class Stream>
concept TaskHandler = std::same_as<std::invoke_result_t<Handler&, Stream&>, Task<void>>;
template <class Handler, class Stream>
concept FibreHandler = std::is_void_v<std::invoke_result_t<Handler&, Stream&>>;

// Runs a fibre handler; cancelled, it kills the fibre and waits until the fibre has unwound
// (the fibre uses the stream, which lives in the caller's frame).
template <class Stream, class Handler>
Task<void> run_fibre(Handler& handler, Stream& stream, const FiberOptions& fiber) {
  auto fibre = tide::spawn_fiber(fiber, [&handler, &stream] { handler(stream); });
  std::exception_ptr cancelled;
  try {
    co_await fibre.join();
    co_return;
  } catch (const Cancelled&) {
    if (fibre.done()) throw;  // the fibre itself was cancelled (killed)
    cancelled = std::current_exception();
  }
  fibre.kill();
  try {
    co_await fibre.join();
  } catch (...) {
  }
  std::rethrow_exception(cancelled);
}

template <class Stream, class Handler>
Task<void> run_connection(Stream stream, Handler& handler, Connections& connections,
                          [[maybe_unused]] SemaphoreGuard slot) {
  connections.prepare(stream);
  std::exception_ptr error;
  try {
    if constexpr (TaskHandler<Handler, Stream>)
      co_await handler(stream);  // no frame in between: one less per connection
    else
      co_await run_fibre(handler, stream, connections.options().fiber);
  } catch (...) {
    error = std::current_exception();
  }
  connections.ended(error, stream);
  // The slot goes back and the stream closes as the frame ends.
}

template <class Listener, class Handler>
Task<void> accept_connections(Listener& listener, Handler& handler, Connections& connections) {
  for (;;) {
    SemaphoreGuard slot = co_await connections.slot();
    connections.start(
        run_connection(co_await listener.accept(), handler, connections, std::move(slot)));
  }
}

Task<void> serve_until(Task<void> accepting, Connections& connections, Event* stop,
                       std::function<void()> close_listener);

}  // namespace detail

/// Serves every connection `listener` accepts with `handler(stream)`, concurrently: a
/// handler returning `Task<void>` runs as a task per connection, one returning void as a
/// fibre per connection (code written in the blocking style, with `tide::await`).
///
///     tide::Event stop;
///     tide::net::ServeOptions options{.max_connections = 1000, .idle_timeout = 30s};
///     co_await tide::net::serve(listener, [](tide::TcpStream& s) -> tide::Task<void> {
///       for (;;) {
///         auto chunk = co_await s.receive();
///         if (chunk.empty()) co_return;
///         co_await s.write_all(chunk.bytes());
///       }
///     }, options, &stop);
///
/// The options are named first: g++ 12 destroys an aggregate temporary (a braced
/// `{.max_connections = ...}`, or a lambda capturing by copy) twice when it appears in a
/// `co_await` expression, which crashes as serve returns. Braced options are fine in a
/// statement without co_await (`auto server = serve(listener, handler, {...});`), in a
/// fibre's `tide::await(...)`, and with clang.
/// At most `max_connections` run at once (the rest wait in the kernel's backlog). Each
/// connection gets the header deadline and idle timeout of `options`; a handler's exception
/// is reported (`on_error`) and ends only its own connection. The stream is closed when its
/// handler returns.
/// Shutdown: setting `*stop` stops accepting (the listener is closed), lets the running
/// handlers finish for up to `shutdown_grace`, then cancels those left, and returns once all
/// have ended. Cancelling `serve` itself cancels every handler at once and waits for them.
/// Thread safety: on the listener's loop thread.
template <class Listener, class Handler>
requires detail::TaskHandler<Handler, detail::StreamOf<Listener>> ||
    detail::FibreHandler<Handler, detail::StreamOf<Listener>>
        Task<void> serve(Listener& listener, Handler handler, ServeOptions options = {},
                         Event* stop = nullptr, ServeStats* stats = nullptr) {
  detail::Connections connections(std::move(options), stats);
  co_await detail::serve_until(detail::accept_connections(listener, handler, connections),
                               connections, stop, [&listener] { listener.close(); });
}

}  // namespace tide::net
