#include <string>

#include <tide/io/detail/io_awaiter.hpp>

namespace tide::io::detail {

std::string describe_op(const IoOp& op) {
  const char* what = "I/O on";
  switch (op.kind) {
    case IoOp::Kind::read:
      what = "read from";
      break;
    case IoOp::Kind::write:
      what = "write to";
      break;
    case IoOp::Kind::readv:
      what = "readv from";
      break;
    case IoOp::Kind::writev:
      what = "writev to";
      break;
    case IoOp::Kind::recv:
    case IoOp::Kind::recv_multishot:
      what = "recv from";
      break;
    case IoOp::Kind::send:
      what = "send to";
      break;
    case IoOp::Kind::recvmsg:
      what = "recvmsg from";
      break;
    case IoOp::Kind::sendmsg:
      what = "sendmsg to";
      break;
    case IoOp::Kind::accept:
    case IoOp::Kind::accept_multishot:
      what = "accept on";
      break;
    case IoOp::Kind::connect:
      what = "connect of";
      break;
    case IoOp::Kind::poll:
      what = "waiting for readiness of";
      break;
  }
  return std::string("tide: ") + what + " fd " + std::to_string(op.fd);
}

}  // namespace tide::io::detail
