#include "core/src/backend/readiness.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace tide::detail {

namespace {
bool is_byte_stream(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return true;
  if (!S_ISSOCK(st.st_mode)) return false;
  int type = 0;
  socklen_t len = sizeof type;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}
}  // namespace

void ReadinessDriver::submit(IoOp& op) {
  if (op.fd < 0) {
    throw std::system_error(EBADF, std::system_category(), "tide: submit on a negative fd");
  }
  if (op.kind == IoOp::Kind::accept_multishot || op.kind == IoOp::Kind::recv_multishot)
    throw std::logic_error("tide: multishot operations need a backend whose caps() offer them");
  FdState& s = ensure_state(op.fd);
  // Only the directions ops wait for are watched: a write usually completes at once, and
  // watching POLLOUT for every fd would report an edge each time the peer reads.
  std::uint32_t wanted = 0;
  if (op.kind == IoOp::Kind::poll) {
    if (op.poll_events & (POLLIN | POLLPRI | POLLRDHUP)) wanted |= POLLIN;
    if (op.poll_events & POLLOUT) wanted |= POLLOUT;
  } else {
    wanted = op.wants_read() ? POLLIN : POLLOUT;
  }
  if ((s.registered & wanted) != wanted) {
    const bool first = s.registered == 0;
    watch(op.fd, s, s.registered | wanted);  // may throw: nothing is linked yet
    if (first) s.stream = is_byte_stream(op.fd);
  }
  link(op.fd, op);
}

namespace {
// The directions an op waits in: one for a transfer; for a poll op, those its events name
// (both for a selector's read|write key: judging it by the read flag alone would skip the
// check while the fd stays writable, and an edge-triggered backend reports no new edge).
struct Directions {
  bool read = false;
  bool write = false;
};
Directions directions(const IoOp& op) noexcept {
  if (op.kind != IoOp::Kind::poll) return {op.wants_read(), !op.wants_read()};
  return {(op.poll_events & (POLLIN | POLLPRI | POLLRDHUP)) != 0, (op.poll_events & POLLOUT) != 0};
}
}  // namespace

bool ReadinessDriver::try_now(IoOp& op) noexcept {
  FdState* s = state_of(op.fd);
  const Directions d = directions(op);
  if (s != nullptr && !((d.read && s->maybe_readable) || (d.write && s->maybe_writable)))
    return false;
  if (perform(op)) {
    if (s != nullptr) note_transfer(*s, op);
    return true;
  }
  if (s == nullptr) {
    try {
      s = &ensure_state(op.fd);
    } catch (...) {
      return false;  // out of memory: the flag is only an optimisation
    }
  }
  // A transfer that would block, or a poll that found none of its events: those directions
  // wait for the backend's next report.
  if (d.read) s->maybe_readable = false;
  if (d.write) s->maybe_writable = false;
  return false;
}

void ReadinessDriver::note_transfer(FdState& s, const IoOp& op) noexcept {
  if (!s.stream || op.result < 0 || s.failed || (op.wants_read() && s.read_closed)) return;
  std::size_t asked = 0;
  switch (op.kind) {
    case IoOp::Kind::read:
    case IoOp::Kind::recv:
    case IoOp::Kind::write:
    case IoOp::Kind::send:
      asked = op.length;
      break;
    case IoOp::Kind::readv:
    case IoOp::Kind::writev:
      for (std::size_t i = 0; i < op.length; ++i)
        asked += static_cast<const iovec*>(op.buffer)[i].iov_len;
      break;
    default:
      return;
  }
  if (static_cast<std::size_t>(op.result) < asked)
    (op.wants_read() ? s.maybe_readable : s.maybe_writable) = false;
}

void ReadinessDriver::link(int fd, IoOp& op) {
  FdState& s = fds_[fd];
  if (s.active_slot == no_slot) {
    s.active_slot = active_fds_.size();
    active_fds_.push_back(fd);
  }
  s.ops.push_back(op);
  op.in_flight = true;
  ++pending_;
}

void ReadinessDriver::unlink(IoOp& op) noexcept {
  FdState& s = fds_[op.fd];
  s.ops.remove(op);
  op.in_flight = false;
  --pending_;
  if (s.ops.empty() && s.active_slot != no_slot) {
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
  count_completion(op);
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
  while (IoOp* op = s->ops.front())
    complete(*op, -EBADF);
  if (s->registered) unwatch(fd, *s);
  s->registered = 0;
  s->maybe_readable = s->maybe_writable = true;  // the number's next file is unknown
  s->read_closed = s->failed = false;
  ++s->generation;
}

void ReadinessDriver::refresh_fd(int fd) noexcept {
  FdState* s = state_of(fd);
  if (s == nullptr || s->registered == 0) return;
  // Removing the old registration by number reaches the new file (then ENOENT, ignored) or,
  // if the old file lives on in a dup, stops its events from arriving under this number.
  unwatch(fd, *s);
  std::uint32_t wanted = s->registered;
  s->registered = 0;
  s->maybe_readable = s->maybe_writable = true;
  s->read_closed = s->failed = false;
  ++s->generation;
  if (s->ops.empty()) return;
  try {
    watch(fd, *s, wanted);
    s->stream = is_byte_stream(fd);
  } catch (const std::system_error& e) {
    // The new file cannot be watched (a regular file under epoll): its waiting ops end with
    // the reason, as a submission would have.
    while (IoOp* op = s->ops.front())
      complete(*op, -e.code().value());
  }
}

void ReadinessDriver::dispatch(int fd, std::uint32_t revents, std::uint32_t generation) noexcept {
  FdState* s = state_of(fd);
  if (s == nullptr || s->generation != generation) return;  // a forgotten registration
  const bool failed = revents & (POLLERR | POLLHUP | POLLNVAL);
  bool read_ready = failed || (revents & (POLLIN | POLLPRI | POLLRDHUP));
  bool write_ready = failed || (revents & POLLOUT);
  if (read_ready) s->maybe_readable = true;
  if (write_ready) s->maybe_writable = true;
  if (revents & (POLLRDHUP | POLLHUP)) s->read_closed = true;
  if (failed) s->failed = true;
  for (IoOp* op = s->ops.front(); op != nullptr;) {
    IoOp* next = OpList::next(*op);
    if (op->kind == IoOp::Kind::poll) {
      std::uint32_t hit = revents & (op->poll_events | POLLERR | POLLHUP | POLLNVAL);
      if (hit) complete(*op, (hit & POLLNVAL) ? -EBADF : static_cast<long>(hit));
    } else {
      bool& ready = op->wants_read() ? read_ready : write_ready;
      // Once a syscall in one direction would block, the others in it would too.
      if (ready) {
        if (perform(*op)) {
          note_transfer(*s, *op);
          complete(*op, op->result);
        } else {
          ready = false;
          (op->wants_read() ? s->maybe_readable : s->maybe_writable) = false;
        }
      }
    }
    op = next;
  }
}

}  // namespace tide::detail
