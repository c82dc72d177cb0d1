#include <tide/core/detail/io_op.hpp>

#include <poll.h>

namespace tide::detail {

bool IoOp::wants_read() const noexcept {
  switch (kind) {
    case Kind::read:
    case Kind::readv:
    case Kind::recv:
    case Kind::recvmsg:
    case Kind::accept:
    case Kind::accept_multishot:
    case Kind::recv_multishot:
      return true;
    case Kind::poll:
      return (poll_events & (POLLIN | POLLPRI | POLLRDHUP)) != 0;
    default:
      return false;
  }
}

}  // namespace tide::detail
