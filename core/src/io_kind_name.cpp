#include <tide/core/detail/io_op.hpp>

namespace tide::detail {

const char* io_kind_name(IoOp::Kind kind) noexcept {
  switch (kind) {
    case IoOp::Kind::read:
      return "read";
    case IoOp::Kind::write:
      return "write";
    case IoOp::Kind::readv:
      return "readv";
    case IoOp::Kind::writev:
      return "writev";
    case IoOp::Kind::recv:
      return "recv";
    case IoOp::Kind::send:
      return "send";
    case IoOp::Kind::recvmsg:
      return "recvmsg";
    case IoOp::Kind::sendmsg:
      return "sendmsg";
    case IoOp::Kind::accept:
      return "accept";
    case IoOp::Kind::connect:
      return "connect";
    case IoOp::Kind::poll:
      return "poll";
    case IoOp::Kind::accept_multishot:
      return "accept_multishot";
    case IoOp::Kind::recv_multishot:
      return "recv_multishot";
  }
  return "?";
}

static_assert(static_cast<std::size_t>(IoOp::Kind::recv_multishot) + 1 == IoOp::kind_count,
              "IoOp::kind_count must follow IoOp::Kind");

}  // namespace tide::detail
