#pragma once

#include <string>
#include <string_view>

#include <tide/core/task.hpp>
#include <tide/net/detail/listener.hpp>
#include <tide/net/socket_address.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/unix_stream.hpp>

namespace tide::net {

/// A listening Unix stream socket. It removes its socket file when closed (a path only,
/// not an abstract `@name`); a file already at the path is an error (EADDRINUSE), not
/// silently replaced.
class UnixListener : public detail::Listener {
 public:
  UnixListener() noexcept = default;
  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  ~UnixListener() { close(); }

  /// Binds and listens at `path`. `options.backlog` applies; the reuse options do not.
  /// Throws std::system_error naming the path, std::invalid_argument for a bad path.
  [[nodiscard]] static UnixListener bind(std::string_view path, ListenOptions options = {});

  /// The next connection. As TcpListener::accept.
  [[nodiscard]] Task<UnixStream> accept();
  /// Without waiting: the next connection, or nothing. As TcpListener::try_accept.
  [[nodiscard]] std::optional<UnixStream> try_accept();
  /// Stops listening and removes the socket file; a pending `accept` ends with EBADF.
  void close() noexcept;

 private:
  using detail::Listener::Listener;
  std::string unlink_path_;  // the file bind() created
};

}  // namespace tide::net

namespace tide {
using net::UnixListener;
}
