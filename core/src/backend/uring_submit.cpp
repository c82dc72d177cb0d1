#include "core/src/backend/uring.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "core/src/backend/uring_data.hpp"

namespace tide::detail {

using namespace uring;

void UringDriver::submit(IoOp& op) {
  io_uring_sqe* sqe = get_sqe();
  prepare(sqe, op);
  op.tag =
      (next_generation_++ << generation_shift) | reinterpret_cast<std::uint64_t>(&op) | op_kind;
  io_uring_sqe_set_data64(sqe, op.tag);
  op.in_flight = true;
  op.buffer_id = -1;
  op.cqe_seen = false;
  op.cancels = 0;
  op.fd_closed = false;
  link(op);
}

void UringDriver::cancel(IoOp& op) noexcept {
  if (!op.in_flight || op.cqe_seen) return;
  io_uring_sqe* sqe = get_sqe_noexcept();
  if (!op.in_flight || op.cqe_seen) {  // completed while a slot was made free
    if (sqe) ignore(sqe);
    return;
  }
  if (sqe == nullptr) return;  // cannot happen once get_sqe flushed; the op completes anyway
  io_uring_prep_cancel64(sqe, op.tag, 0);
  io_uring_sqe_set_data64(sqe, (op.tag & ~kind_mask) | cancel_kind);
  ++op.cancels;
}

void UringDriver::abandon(IoOp& op) noexcept {
  if (!op.in_flight) return;
  op.on_complete = nullptr;  // finish quietly: the awaiter is being destroyed
  cancel(op);
  // The kernel may write into the op's buffers until its completion (and the cancel's) have
  // arrived; only then may the memory go. Transient refusals are waited out. A ring that
  // cannot be driven from here at all would leave the kernel writing into freed memory, so
  // that stops the process instead (the loop never abandons on a ring it cannot reap: its
  // teardown keeps the frames then, see Loop::teardown).
  while (op.in_flight) {
    int r = -EBADFD;
    try {
      enable();  // a ring never entered yet holds the op only in its submission queue
      r = io_uring_submit_and_wait(&ring_, 1);
    } catch (const std::system_error& e) {
      r = -e.code().value();
    }
    if (r < 0 && r != -EINTR && r != -EBUSY && r != -ETIME && r != -EAGAIN) {
      std::fprintf(stderr,
                   "tide io_uring backend: cannot reap a cancelled operation on fd %d "
                   "(io_uring_enter: %s); the kernel may still write into its buffers, so "
                   "they cannot be freed\n",
                   op.fd, std::strerror(-r));
      std::abort();
    }
    reap();
  }
}

void UringDriver::forget_fd(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd].empty()) return;
  // A cancel may reap completions (when it has to flush a full ring), which can finish and
  // unlink any op on this fd: so start from the front again after each one.
  for (;;) {
    IoOp* op = by_fd_[fd].front();
    while (op != nullptr && op->fd_closed)
      op = OpList::next(*op);
    if (op == nullptr) break;
    op->fd_closed = true;
    cancel(*op);
  }
  // Submitted now, before the number can be reused by a new fd's operations.
  io_uring_submit(&ring_);
}

// A free SQE. A full submission ring is flushed to the kernel (and, if the kernel pushes
// back because completions overflowed, those are reaped first): never an error to the user.
io_uring_sqe* UringDriver::get_sqe() {
  for (int attempt = 0;; ++attempt) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
    enable();
    int r = io_uring_submit(&ring_);
    if (r == -EBUSY || r == -EAGAIN) {
      io_uring_get_events(&ring_);
      reap();
    } else if (r < 0) {
      throw std::system_error(-r, std::system_category(), "tide io_uring backend: io_uring_submit");
    }
  }
}

io_uring_sqe* UringDriver::get_sqe_noexcept() noexcept {
  try {
    return get_sqe();
  } catch (...) {
    return nullptr;  // a ring that cannot submit at all: cancellation then cannot be sent
  }
}

void UringDriver::ignore(io_uring_sqe* sqe) noexcept {
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, ignored_kind);
}

void UringDriver::prepare(io_uring_sqe* sqe, IoOp& op) {
  using Kind = IoOp::Kind;
  switch (op.kind) {
    case Kind::read:
      io_uring_prep_read(sqe, op.fd, op.buffer, static_cast<unsigned>(op.length), -1);
      break;
    case Kind::write:
      io_uring_prep_write(sqe, op.fd, op.buffer, static_cast<unsigned>(op.length), -1);
      break;
    case Kind::readv:
      io_uring_prep_readv(sqe, op.fd, static_cast<const iovec*>(op.buffer),
                          static_cast<unsigned>(op.length), -1);
      break;
    case Kind::writev:
      io_uring_prep_writev(sqe, op.fd, static_cast<const iovec*>(op.buffer),
                           static_cast<unsigned>(op.length), -1);
      break;
    case Kind::recv:
      io_uring_prep_recv(sqe, op.fd, op.buffer, op.length, op.flags);
      break;
    case Kind::send:
      io_uring_prep_send(sqe, op.fd, op.buffer, op.length, op.flags | MSG_NOSIGNAL);
      break;
    case Kind::recvmsg:
      io_uring_prep_recvmsg(sqe, op.fd, static_cast<msghdr*>(op.buffer),
                            static_cast<unsigned>(op.flags));
      break;
    case Kind::sendmsg:
      io_uring_prep_sendmsg(sqe, op.fd, static_cast<const msghdr*>(op.buffer),
                            static_cast<unsigned>(op.flags | MSG_NOSIGNAL));
      break;
    case Kind::accept:
      io_uring_prep_accept(sqe, op.fd, static_cast<sockaddr*>(op.buffer), op.address_length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case Kind::connect:
      io_uring_prep_connect(sqe, op.fd, static_cast<const sockaddr*>(op.buffer),
                            static_cast<socklen_t>(op.length));
      break;
    case Kind::poll:
      io_uring_prep_poll_add(sqe, op.fd, op.poll_events);
      break;
    case Kind::accept_multishot:
      io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case Kind::recv_multishot:
      io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, op.flags);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = op.buffer_group;
      break;
  }
}

// Per-fd lists of in-flight ops, so forget_fd can cancel them.
void UringDriver::link(IoOp& op) {
  if (static_cast<std::size_t>(op.fd) >= by_fd_.size())
    by_fd_.resize(static_cast<std::size_t>(op.fd) + 64);
  by_fd_[op.fd].push_back(op);
  ++pending_;
}

void UringDriver::unlink(IoOp& op) noexcept {
  by_fd_[op.fd].remove(op);
  --pending_;
}

}  // namespace tide::detail
