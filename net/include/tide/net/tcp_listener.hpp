#pragma once

#include <tide/core/task.hpp>
#include <tide/net/detail/listener.hpp>
#include <tide/net/socket_address.hpp>
#include <tide/net/tcp_stream.hpp>

namespace tide::net {

/// How a listening socket is set up.
struct ListenOptions {
  /// Connections the kernel queues before they are accepted (capped by net.core.somaxconn).
  int backlog = 1024;
  /// SO_REUSEADDR: rebind a port whose old connections linger in TIME_WAIT.
  bool reuse_address = true;
  /// SO_REUSEPORT: several sockets (processes, loops) listen on one port; the kernel spreads
  /// the connections.
  bool reuse_port = false;
  /// IPV6_V6ONLY for an IPv6 address: accept IPv6 only (false: IPv4 too, as ::ffff:a.b.c.d).
  bool v6_only = false;
};

/// A listening TCP socket.
///
///     auto listener = tide::net::TcpListener::bind(SocketAddress::parse("127.0.0.1:8080"));
///     for (;;) tide::spawn(handle(co_await listener.accept())).detach();
///
/// Or hand it to `tide::net::serve`, which caps connections and shuts down gracefully.
class TcpListener : public detail::Listener {
 public:
  TcpListener() noexcept = default;
  /// Binds and listens on `address` (port 0: the kernel picks one; see `local_address()`).
  /// Throws std::system_error naming the address (EADDRINUSE, EACCES...).
  [[nodiscard]] static TcpListener bind(const SocketAddress& address, ListenOptions options = {});

  /// The next connection (new sockets are non-blocking and close-on-exec). Running out of
  /// descriptors pauses accepting rather than spinning or failing (see resource_pauses()).
  /// Throws std::system_error for other errors, and EBADF once the listener is closed.
  /// Cancellation: nothing is accepted; a connection that arrives waits for the next call.
  [[nodiscard]] Task<TcpStream> accept();
  /// Without waiting (Python's `accept` on a non-blocking socket, for readiness-driven code
  /// such as a Selector callback): the next connection, or nothing if none is queued. Errors
  /// other than one connection's (EMFILE, say) are thrown, not paused on.
  [[nodiscard]] std::optional<TcpStream> try_accept();
  /// Stops listening; a pending `accept` ends with EBADF. Idempotent.
  void close() noexcept { close_listener(); }

 private:
  using detail::Listener::Listener;
};

}  // namespace tide::net

namespace tide {
using net::ListenOptions;
using net::TcpListener;
}  // namespace tide
