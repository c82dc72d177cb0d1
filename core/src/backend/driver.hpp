#pragma once

#include <poll.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <tide/core/backend.hpp>
#include <tide/core/detail/io_op.hpp>

#include <tide/core/detail/spin.hpp>

namespace tide::detail {

/// The private interface between the loop and an I/O backend (one implementation per file
/// beside this one). Completion-shaped: the loop submits operations and the driver completes each
/// one exactly once by calling its `on_complete` from `wait` (or, for `cancel`, possibly at once).
/// `on_complete` only schedules; it never runs user code, so the driver is never re-entered.
class Driver {
 public:
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  virtual ~Driver() = default;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// Completes `op` at once if that is possible and cheap: readiness drivers perform the
  /// syscall unless they know it would block (no readiness since its last EAGAIN); io_uring
  /// declines. True with `op.result` set, or false: submit it.
  virtual bool try_now(IoOp& op) noexcept = 0;

  /// Starts `op`. Throws std::system_error if the backend refuses it outright.
  virtual void submit(IoOp& op) = 0;
  /// Asks for `op` to end early. It still completes exactly once: with -ECANCELED, or with its
  /// real result if it had already finished in the kernel.
  virtual void cancel(IoOp& op) noexcept = 0;
  /// `op`'s memory is about to go away: end it without completing it, and return only once the
  /// kernel no longer uses it or its buffers.
  virtual void abandon(IoOp& op) noexcept = 0;
  /// `fd` is about to be closed: drop every registration of it; pending ops on it complete
  /// with -EBADF.
  virtual void forget_fd(int fd) noexcept = 0;
  /// `fd`'s number may now name another file than the one the backend watched (it was closed
  /// behind tide's back and the number reused): watch it afresh, keeping its pending ops.
  /// Completion backends, whose operations name the fd at each submission, have nothing to do.
  virtual void refresh_fd(int fd) noexcept { (void)fd; }

  /// Waits up to `timeout` (nullopt: no limit) for completions or a wake-up of `wake_fd`, and
  /// delivers the completions. Returns early on a signal.
  virtual void wait(std::optional<std::chrono::nanoseconds> timeout) = 0;

  /// What this backend offers beyond one-shot operations (probed from the running kernel).
  [[nodiscard]] virtual IoCaps caps() const noexcept { return {}; }
  /// Registers a provided-buffer group for up to `capacity` buffers of `size` bytes starting
  /// at `base` (buffer i at base + i * size) and returns its id. It lends none yet: each
  /// `recycle_buffer` lends one. A completion of a recv_multishot op reports the buffer it
  /// filled; without caps().incremental_buffers the buffer is then the caller's until it is
  /// recycled. With them, completions report pieces of the buffer at the ring's head
  /// (IoOp::buffer_offset) and the buffer is the caller's after the first completion whose
  /// IoOp::buffer_more is false. Only when caps().multishot_recv. Throws std::system_error.
  virtual std::uint16_t add_buffer_group(std::byte* base, unsigned capacity, std::size_t size) {
    (void)base, (void)capacity, (void)size;
    throw std::logic_error("tide: this backend has no provided buffers");
  }
  /// Lends buffer `id` of `group` to the kernel (again), empty.
  virtual void recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept {
    (void)group, (void)id;
  }
  /// Takes the group back; no op may be using it any more.
  virtual void remove_buffer_group(std::uint16_t group) noexcept { (void)group; }

  /// Readable whenever `wait(0)` would deliver something (for embedding in a host loop). May
  /// reconfigure the backend the first time (io_uring); throws std::system_error if it cannot.
  virtual int pollable_fd() = 0;
  /// Every fd a host loop must watch, with its poll(2) events, so that it wakes whenever
  /// `wait(0)` would deliver something (for Loop::backend_fds); replaces `out`'s contents.
  /// The set changes only when an op is submitted, completed, cancelled or abandoned.
  /// Default: `pollable_fd()` for POLLIN. May reconfigure the backend as `pollable_fd` does.
  virtual void pollable_fds(std::vector<pollfd>& out) {
    out.assign(1, pollfd{pollable_fd(), POLLIN, 0});
  }
  /// Whether this thread can wait for completions (an io_uring ring with a single issuer
  /// accepts only the thread that first drove it). When false, `abandon` cannot be used here.
  [[nodiscard]] virtual bool can_reap_here() const noexcept { return true; }
  /// Operations are prepared but not yet handed to the kernel (the next `wait` will): a host
  /// loop must not sleep on `pollable_fd` before that.
  [[nodiscard]] virtual bool has_unsubmitted() const noexcept { return false; }
  /// Ops submitted and not yet completed.
  [[nodiscard]] virtual std::size_t pending() const noexcept = 0;

  /// The loop's spin on this backend while completions are expected soon (see
  /// LoopCore::expect_completions_soon): learns when spinning does not pay.
  AdaptiveSpin spin_soon;

  /// Completions delivered per kind of op (Loop::Stats::io), each multishot one counted.
  std::array<std::uint64_t, IoOp::kind_count> completed{};

 protected:
  /// Every driver counts a completion here, right before calling `on_complete`.
  void count_completion(const IoOp& op) noexcept { ++completed[static_cast<std::size_t>(op.kind)]; }
};

/// Backend settings from Loop::Options.
struct DriverOptions {
  unsigned io_uring_sq_entries = 256;
  unsigned io_uring_cq_entries = 0;          // 0: the kernel's default (twice the SQ)
  bool io_uring_multishot = true;            // offer multishot ops where the kernel has them
  bool io_uring_incremental_buffers = true;  // register buffer groups with IOU_PBUF_RING_INC
};

/// Creates the driver for `requested` (Auto: io_uring if usable, else epoll). `wake_fd` is an
/// eventfd the driver watches and drains; posting to the loop writes to it.
/// Throws std::system_error (naming the backend and cause) if an explicitly requested backend
/// cannot be set up, std::invalid_argument for a backend this platform lacks.
std::unique_ptr<Driver> make_driver(Backend requested, const DriverOptions& options, int wake_fd);

}  // namespace tide::detail
