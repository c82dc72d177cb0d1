#include "core/src/backend/uring.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "core/src/backend/uring_data.hpp"

namespace tide::detail {

using namespace uring;

void UringDriver::wait(std::optional<std::chrono::nanoseconds> timeout) {
  enable();
  int r;
  if (timeout && *timeout == std::chrono::nanoseconds::zero()) {
    r = io_uring_submit_and_get_events(&ring_);
  } else if (!timeout) {
    r = io_uring_submit_and_wait(&ring_, 1);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(timeout->count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long long>(timeout->count() % 1'000'000'000);
    io_uring_cqe* cqe = nullptr;
    r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
    throw std::system_error(-r, std::system_category(), "tide io_uring backend: io_uring_enter");
  reap();
}

// Each completion is taken off the ring before it is dispatched: a multishot op's callback
// may call back into the driver (cancel), which may flush and reap again; the nested reap
// then goes on with the next completion, in order.
void UringDriver::reap() {
  for (;;) {
    io_uring_cqe* cqe;
    while (peek_cqe(cqe)) {
      const io_uring_cqe copy = *cqe;
      io_uring_cqe_seen(&ring_, cqe);
      dispatch(copy);
    }
    // Completions the kernel kept aside while the ring was full (IORING_FEAT_NODROP) are
    // flushed into the ring by asking for events again.
    if (!io_uring_cq_has_overflow(&ring_)) return;
    io_uring_get_events(&ring_);
  }
}

// io_uring_peek_cqe may enter the kernel; this only looks at the ring.
bool UringDriver::peek_cqe(io_uring_cqe*& cqe) noexcept {
  const unsigned head = *ring_.cq.khead;
  if (head == io_uring_smp_load_acquire(ring_.cq.ktail)) return false;
  cqe = &ring_.cq.cqes[head & ring_.cq.ring_mask];
  return true;
}

void UringDriver::dispatch(const io_uring_cqe& cqe) noexcept {
  const std::uint64_t data = cqe.user_data;
  switch (data & kind_mask) {
    case wake_kind: {
      std::uint64_t count;
      [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
      if (!(cqe.flags & IORING_CQE_F_MORE)) arm_wake_noexcept();
      return;
    }
    case ignored_kind:
      return;
    default:
      break;
  }
  IoOp* op = op_of(data);
  if (!op->in_flight || (op->tag & ~kind_mask) != (data & ~kind_mask)) return;  // stale
  if ((data & kind_mask) == cancel_kind) {
    --op->cancels;
    if (op->cqe_seen && op->cancels == 0) finish(*op);
    return;
  }
  op->result = cqe.res;
  op->buffer_id = (cqe.flags & IORING_CQE_F_BUFFER)
                      ? static_cast<std::int32_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT)
                      : -1;
  if (op->result == -ECANCELED && op->fd_closed) op->result = -EBADF;
  locate_received(*op, cqe.flags);
  mark_received(*op);
  if (cqe.flags & IORING_CQE_F_MORE) {  // one of many: the op stays in flight
    count_completion(*op);
    if (op->on_complete)
      op->on_complete(*op);
    else
      discard(*op);
    return;
  }
  if (!op->on_complete) discard(*op);
  op->cqe_seen = true;
  if (op->cancels == 0) finish(*op);
}

// A result nobody will receive (its awaiter is being destroyed) must not leak what it holds.
void UringDriver::discard(IoOp& op) noexcept {
  if (op.on_discard) {
    op.on_discard(op);
  } else {
    if (op.result >= 0 &&
        (op.kind == IoOp::Kind::accept || op.kind == IoOp::Kind::accept_multishot))
      ::close(static_cast<int>(op.result));
    // A buffer the kernel still fills (incremental group) is not the caller's to give back.
    if (op.buffer_id >= 0 && !op.buffer_more)
      recycle_buffer(op.buffer_group, static_cast<std::uint16_t>(op.buffer_id));
  }
  op.result = -ECANCELED;
  op.buffer_id = -1;
}

void UringDriver::finish(IoOp& op) noexcept {
  unlink(op);
  op.in_flight = false;
  count_completion(op);
  if (op.on_complete) op.on_complete(op);
}

}  // namespace tide::detail
