#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#include <tide/io/fd.hpp>

// Plain blocking socket set-up for tests (the net module is not there yet).
namespace tide::testing {

inline void check(int r, const char* what) {
  if (r < 0) throw std::system_error(errno, std::system_category(), what);
}

/// A connected pair of non-blocking stream sockets.
inline std::pair<io::Fd, io::Fd> stream_pair() {
  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {io::Fd(fds[0]), io::Fd(fds[1])};
}

/// A non-blocking TCP listener on 127.0.0.1 at a free port.
struct Listener {
  io::Fd fd;
  std::uint16_t port = 0;
};
inline Listener listen_loopback(int backlog = 512) {
  Listener l;
  l.fd = io::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  check(l.fd.get(), "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
  check(::listen(l.fd.get(), backlog), "listen");
  socklen_t len = sizeof a;
  check(::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&a), &len), "getsockname");
  l.port = ntohs(a.sin_port);
  return l;
}

/// A blocking connect to 127.0.0.1:`port` (completes from the listen backlog, without an
/// accept); the socket is then made non-blocking.
inline io::Fd connect_loopback(std::uint16_t port) {
  io::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  check(fd.get(), "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), "connect");
  fd.set_nonblocking();
  return fd;
}

/// Writes all of `data` to a socket, waiting (poll) while it is full: a peer outside the loop.
inline void send_blocking(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    check(static_cast<int>(n), "send");
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace tide::testing
