#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/src/backend/driver.hpp"
#include "core/src/backend/perform.hpp"

namespace tide::detail {

/// What epoll and poll share: per-fd queues of waiting ops, and "on readiness, do the
/// non-blocking syscall" completion. A backend only says how fds are watched and reports
/// events through `dispatch`.
class ReadinessDriver : public Driver {
 public:
  bool try_now(IoOp& op) noexcept override;
  void submit(IoOp& op) override;
  void cancel(IoOp& op) noexcept override;
  void abandon(IoOp& op) noexcept override;
  void forget_fd(int fd) noexcept override;
  void refresh_fd(int fd) noexcept override;
  [[nodiscard]] std::size_t pending() const noexcept override { return pending_; }

 protected:
  using OpList = IntrusiveList<IoOp, &IoOp::hook>;
  struct FdState {
    OpList ops;                         // waiting ops on this fd, FIFO
    std::uint32_t registered = 0;       // events the backend was told to watch (0: not watched)
    std::uint32_t generation = 0;       // bumped by forget_fd; stale events carry an older one
    std::size_t active_slot = no_slot;  // position in active_fds_, or no_slot
    // False once a syscall in that direction hit EAGAIN, true again when the backend reports
    // readiness: an op then waits at once instead of trying a syscall bound to fail (in a
    // ping-pong, half of all reads would be such failures).
    bool maybe_readable = true;
    bool maybe_writable = true;
    // A byte stream (pipe, tty, stream socket): a read or write that moves less than asked
    // drained it, so it counts as an EAGAIN. Not for datagram sockets, where a short read is
    // one datagram of several. Known once the fd is watched.
    bool stream = false;
    // The backend reported the peer's shutdown (RDHUP) or a hang-up or error (HUP, ERR). No
    // further edge will come, so a short transfer no longer means "drained": the next read
    // must go ahead and see the end of the stream (or the error).
    bool read_closed = false;
    bool failed = false;
  };
  static constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

  /// Makes the backend report `events` (POLLIN and/or POLLOUT) on `fd`, a superset of what
  /// `state.registered` holds; records them there. Throws std::system_error if the backend
  /// refuses the fd.
  virtual void watch(int fd, FdState& state, std::uint32_t events) = 0;
  /// Stops watching `fd` (it is about to be closed).
  virtual void unwatch(int fd, FdState& state) noexcept = 0;

  /// Runs the ops on `fd` that `revents` (POLL* bits) make ready, completing those whose
  /// syscall no longer blocks. `generation` filters out events of a forgotten registration.
  void dispatch(int fd, std::uint32_t revents, std::uint32_t generation) noexcept;

  FdState& ensure_state(int fd) {
    if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
    return fds_[fd];
  }
  [[nodiscard]] FdState* state_of(int fd) noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < fds_.size() ? &fds_[fd] : nullptr;
  }

  std::vector<FdState> fds_;     // indexed by fd
  std::vector<int> active_fds_;  // fds with at least one waiting op (poll builds its set here)

 private:
  void link(int fd, IoOp& op);
  void unlink(IoOp& op) noexcept;
  void complete(IoOp& op, long result) noexcept;
  /// After `op` performed without blocking: a short transfer on a stream drained it.
  static void note_transfer(FdState& s, const IoOp& op) noexcept;

  std::size_t pending_ = 0;
};

}  // namespace tide::detail
