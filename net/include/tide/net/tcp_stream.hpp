#pragma once

#include <string>

#include <tide/core/task.hpp>
#include <tide/net/socket_address.hpp>
#include <tide/net/stream_socket.hpp>

namespace tide::net {

/// A TCP connection. See StreamSocket for reading, writing, deadlines and closing.
///
///     auto stream = co_await tide::net::TcpStream::connect(SocketAddress::loopback(8080));
///     co_await stream.write_all("ping\n");
///     std::byte reply[64];
///     std::size_t n = co_await stream.read_some(reply);
///
/// In a fibre: `auto stream = tide::await(TcpStream::connect(address));`.
class TcpStream : public StreamSocket {
 public:
  TcpStream() noexcept = default;
  /// Adopts a connected, non-blocking TCP socket.
  explicit TcpStream(io::Fd fd) noexcept : StreamSocket(std::move(fd)) {}

  /// Connects to `address`. Throws std::system_error naming the address (ECONNREFUSED,
  /// ETIMEDOUT, ENETUNREACH...). For a deadline, wrap it: `tide::timeout(2s, connect(a))`.
  /// Cancellation: the attempt is withdrawn and its socket closed; nothing stays pending.
  [[nodiscard]] static Task<TcpStream> connect(SocketAddress address);
  /// Resolves `host` and `service`, then tries each address in order until one connects;
  /// throws the last failure (or ResolveError).
  [[nodiscard]] static Task<TcpStream> connect(std::string host, std::string service);

  /// TCP_NODELAY: send small writes at once instead of coalescing them (Nagle).
  void set_nodelay(bool on);
  [[nodiscard]] bool nodelay() const;
  /// SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.
  void set_keepalive(bool on);
  [[nodiscard]] bool keepalive() const;
};

}  // namespace tide::net

namespace tide {
using net::TcpStream;
}
