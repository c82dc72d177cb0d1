#include "io/src/readiness_driver.hpp"

#include <poll.h>

#include <cerrno>
#include <system_error>

namespace tide::detail {

void ReadinessDriver::submit(IoOp& op) {
  if (op.fd < 0) {
    throw std::system_error(EBADF, std::system_category(), "tide: submit on a negative fd");
  }
  if (static_cast<std::size_t>(op.fd) >= fds_.size())
    fds_.resize(static_cast<std::size_t>(op.fd) + 64);
  FdState& s = fds_[op.fd];
  if (s.registered == 0) watch(op.fd, s);  // may throw: nothing is linked yet
  link(op.fd, op);
}

void ReadinessDriver::link(int fd, IoOp& op) {
  FdState& s = fds_[fd];
  if (s.active_slot == no_slot) {
    s.active_slot = active_fds_.size();
    active_fds_.push_back(fd);
  }
  op.next = nullptr;
  op.prev = s.tail;
  if (s.tail)
    s.tail->next = &op;
  else
    s.head = &op;
  s.tail = &op;
  op.in_flight = true;
  ++pending_;
}

void ReadinessDriver::unlink(IoOp& op) noexcept {
  FdState& s = fds_[op.fd];
  if (op.prev)
    op.prev->next = op.next;
  else
    s.head = op.next;
  if (op.next)
    op.next->prev = op.prev;
  else
    s.tail = op.prev;
  op.next = op.prev = nullptr;
  op.in_flight = false;
  --pending_;
  if (s.head == nullptr && s.active_slot != no_slot) {
    // Swap-remove from the active list.
    int last = active_fds_.back();
    active_fds_[s.active_slot] = last;
    fds_[last].active_slot = s.active_slot;
    active_fds_.pop_back();
    s.active_slot = no_slot;
  }
}

void ReadinessDriver::complete(IoOp& op, long result) noexcept {
  unlink(op);
  op.result = result;
  op.on_complete(op);
}

void ReadinessDriver::cancel(IoOp& op) noexcept {
  if (op.in_flight) complete(op, -ECANCELED);
}

void ReadinessDriver::abandon(IoOp& op) noexcept {
  if (op.in_flight) unlink(op);
}

void ReadinessDriver::forget_fd(int fd) noexcept {
  FdState* s = state_of(fd);
  if (s == nullptr) return;
  while (s->head)
    complete(*s->head, -EBADF);
  if (s->registered) unwatch(fd, *s);
  s->registered = 0;
  ++s->generation;
}

void ReadinessDriver::dispatch(int fd, std::uint32_t revents, std::uint32_t generation) noexcept {
  FdState* s = state_of(fd);
  if (s == nullptr || s->generation != generation) return;  // a forgotten registration
  const bool failed = revents & (POLLERR | POLLHUP | POLLNVAL);
  bool read_ready = failed || (revents & (POLLIN | POLLPRI | POLLRDHUP));
  bool write_ready = failed || (revents & POLLOUT);
  for (IoOp* op = s->head; op != nullptr;) {
    IoOp* next = op->next;
    if (op->kind == IoOp::Kind::poll) {
      std::uint32_t hit = revents & (op->poll_events | POLLERR | POLLHUP | POLLNVAL);
      if (hit) complete(*op, (hit & POLLNVAL) ? -EBADF : static_cast<long>(hit));
    } else {
      bool& ready = op->wants_read() ? read_ready : write_ready;
      // Once a syscall in one direction would block, the others in it would too.
      if (ready) {
        if (perform(*op)) {
          complete(*op, op->result);
        } else {
          ready = false;
        }
      }
    }
    op = next;
  }
}

}  // namespace tide::detail
