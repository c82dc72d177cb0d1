// The non-blocking syscall behind each IoOp kind: how the readiness backends (epoll, poll)
// complete an operation, and how they try one before it waits.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "core/src/backend/perform.hpp"

namespace tide::detail {

namespace {

long syscall_once(IoOp& op) noexcept {
  switch (op.kind) {
    case IoOp::Kind::read:
      return ::read(op.fd, op.buffer, op.length);
    case IoOp::Kind::write:
      return ::write(op.fd, op.buffer, op.length);
    case IoOp::Kind::readv:
      return ::readv(op.fd, static_cast<const iovec*>(op.buffer), static_cast<int>(op.length));
    case IoOp::Kind::writev:
      return ::writev(op.fd, static_cast<const iovec*>(op.buffer), static_cast<int>(op.length));
    case IoOp::Kind::recv:
      return ::recv(op.fd, op.buffer, op.length, op.flags);
    case IoOp::Kind::send:
      return ::send(op.fd, op.buffer, op.length, op.flags | MSG_NOSIGNAL);
    case IoOp::Kind::recvmsg:
      return ::recvmsg(op.fd, static_cast<msghdr*>(op.buffer), op.flags);
    case IoOp::Kind::sendmsg:
      return ::sendmsg(op.fd, static_cast<const msghdr*>(op.buffer), op.flags | MSG_NOSIGNAL);
    case IoOp::Kind::accept:
      return ::accept4(op.fd, static_cast<sockaddr*>(op.buffer), op.address_length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    case IoOp::Kind::connect: {
      if (!op.connect_issued) {
        op.connect_issued = true;
        if (::connect(op.fd, static_cast<const sockaddr*>(op.buffer),
                      static_cast<socklen_t>(op.length)) == 0)
          return 0;
        if (errno == EINPROGRESS) errno = EAGAIN;
        return -1;
      }
      // Connecting: writable means done; SO_ERROR says how it ended.
      pollfd p{op.fd, POLLOUT, 0};
      if (::poll(&p, 1, 0) == 0) {
        errno = EAGAIN;
        return -1;
      }
      int error = 0;
      socklen_t len = sizeof error;
      if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) return -1;
      if (error != 0) {
        errno = error;
        return -1;
      }
      return 0;
    }
    case IoOp::Kind::poll: {
      pollfd p{op.fd, static_cast<short>(op.poll_events), 0};
      int n = ::poll(&p, 1, 0);
      if (n < 0) return -1;
      if (n == 0 || p.revents == 0) {
        errno = EAGAIN;
        return -1;
      }
      if (p.revents & POLLNVAL) {
        errno = EBADF;
        return -1;
      }
      return p.revents;
    }
    case IoOp::Kind::accept_multishot:
    case IoOp::Kind::recv_multishot:
      break;  // no single syscall: only completion backends run these
  }
  errno = EINVAL;
  return -1;
}

}  // namespace

bool perform(IoOp& op) noexcept {
  for (;;) {
    long n = syscall_once(op);
    if (n >= 0) {
      op.result = n;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    op.result = -errno;
    return true;
  }
}

}  // namespace tide::detail
