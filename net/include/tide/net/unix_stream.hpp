#pragma once

#include <string_view>
#include <utility>

#include <tide/core/task.hpp>
#include <tide/net/socket_address.hpp>
#include <tide/net/stream_socket.hpp>

namespace tide::net {

/// A Unix stream socket connection (local IPC). See StreamSocket for reading, writing,
/// deadlines and closing.
class UnixStream : public StreamSocket {
 public:
  UnixStream() noexcept = default;
  /// Adopts a connected, non-blocking Unix stream socket.
  explicit UnixStream(io::Fd fd) noexcept : StreamSocket(std::move(fd)) {}

  /// Connects to the socket at `path` (`@name`: abstract namespace). Throws
  /// std::system_error naming the path (ENOENT, ECONNREFUSED...), std::invalid_argument for
  /// a bad path. Cancellation: the attempt is withdrawn and its socket closed.
  [[nodiscard]] static Task<UnixStream> connect(std::string_view path);
  [[nodiscard]] static Task<UnixStream> connect(SocketAddress address);
};

/// Two connected Unix streams (socketpair(2)): one end for each side, in one process or
/// across a fork. Throws std::system_error.
[[nodiscard]] std::pair<UnixStream, UnixStream> socketpair();

}  // namespace tide::net

namespace tide {
using net::UnixStream;
}
