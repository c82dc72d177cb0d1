// What net's sources share: the system calls behind the socket types, with errors that name
// what was being done.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <system_error>

#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/net/socket_address.hpp>

namespace tide::net::detail {

[[noreturn]] inline void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}
[[noreturn]] inline void throw_errno(const std::string& what) {
  throw_errno(errno, what);
}

/// Makes `call()`, a syscall that does not wait (MSG_DONTWAIT), again while interrupted: its
/// count, or nothing if it would have waited. Throws std::system_error naming `what` (a
/// member, "StreamSocket::try_read_some") and the fd otherwise.
template <class Call>
std::optional<std::size_t> unless_it_would_block(const char* what, int fd, Call call) {
  ssize_t n;
  do {
    n = call();
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
  throw_errno(std::string("tide::net::") + what + " on fd " + std::to_string(fd));
}

inline int native_family(SocketAddress::Family family) {
  switch (family) {
    case SocketAddress::Family::ipv4:
      return AF_INET;
    case SocketAddress::Family::ipv6:
      return AF_INET6;
    case SocketAddress::Family::unix_path:
      return AF_UNIX;
    case SocketAddress::Family::none:
      break;
  }
  return AF_UNSPEC;
}

/// A new non-blocking, close-on-exec socket. Throws std::system_error naming `what`.
io::Fd open_socket(int family, int type, const std::string& what);
/// bind(2) of `fd` to `address`. Throws std::system_error naming `what` and the address.
void bind_to(int fd, const SocketAddress& address, const std::string& what);
/// A new stream socket connected to `address`. Throws std::system_error naming `what`.
Task<io::Fd> connect_stream(SocketAddress address, std::string what);
/// getsockname / getpeername as a SocketAddress.
SocketAddress local_address_of(int fd);
SocketAddress peer_address_of(int fd);

}  // namespace tide::net::detail
