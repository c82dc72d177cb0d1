// The io_uring backend. Operations are prepared into the submission ring as they come and
// submitted together, once per loop iteration, by the wait (one io_uring_enter for the whole
// batch, which also reaps completions). What the running kernel supports decides the setup:
// SINGLE_ISSUER + DEFER_TASKRUN where available (completions are posted only when the loop
// asks for them: no interrupts, small batches; 26% cheaper than COOP_TASKRUN at 10,000
// connections, see docs/performance.md), else COOP_TASKRUN, else plain.
//
// user_data of every SQE: bits 63..48 a generation, 47..2 the IoOp's address, 1..0 its kind
// (op, cancel of op, wake-up, ignored). A completion or cancel therefore never reaches an op
// that merely reuses an old op's memory.
//
// One class, four files: uring_setup.cpp (ring set-up, probe, enabling, the embedding fd),
// uring_buffers.cpp (provided-buffer rings), uring_submit.cpp (preparing, submitting,
// cancelling, abandoning), uring_reap.cpp (waiting, reaping, dispatching completions).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/src/backend/driver.hpp"

namespace tide::detail {

class UringDriver final : public Driver {
 public:
  UringDriver(const DriverOptions& options, int wake_fd);
  ~UringDriver() override;

  [[nodiscard]] std::string_view name() const noexcept override { return "io_uring"; }
  bool try_now(IoOp&) noexcept override { return false; }
  int pollable_fd() override;
  [[nodiscard]] std::size_t pending() const noexcept override { return pending_; }
  [[nodiscard]] bool has_unsubmitted() const noexcept override {
    return !enabled_ || io_uring_sq_ready(&ring_) > 0;
  }
  [[nodiscard]] bool can_reap_here() const noexcept override;
  [[nodiscard]] IoCaps caps() const noexcept override { return caps_; }

  std::uint16_t add_buffer_group(std::byte* base, unsigned capacity, std::size_t size) override;
  void recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept override;
  void remove_buffer_group(std::uint16_t group) noexcept override;

  void submit(IoOp& op) override;
  void cancel(IoOp& op) noexcept override;
  void abandon(IoOp& op) noexcept override;
  void forget_fd(int fd) noexcept override;
  void wait(std::optional<std::chrono::nanoseconds> timeout) override;

 private:
  using OpList = IntrusiveList<IoOp, &IoOp::hook>;

  // A provided-buffer ring (its memory is tide's: liburing 2.3 cannot set one up).
  struct BufferGroup {
    io_uring_buf_ring* ring = nullptr;
    std::size_t ring_bytes = 0;
    unsigned entries = 0;
    std::byte* base = nullptr;
    std::size_t size = 0;
    bool incremental = false;  // registered with IOU_PBUF_RING_INC
    // Incremental groups: bytes of each buffer the kernel has filled since it was last lent.
    // The kernel reports only the buffer id; completions on one ring arrive in the order the
    // kernel consumed the buffer, so this sum is where the next completion's bytes start.
    std::vector<std::uint32_t> filled;
  };

  // uring_setup.cpp
  /// Sets up `ring` (and the flags and caps that go with it) with the best flags this kernel
  /// accepts. Throws std::system_error; `ring` is untouched then.
  void setup(io_uring& ring, bool allow_defer);
  void require_opcodes(io_uring& ring);
  void enable();
  void arm_wake();
  void arm_wake_noexcept() noexcept;

  // uring_submit.cpp
  io_uring_sqe* get_sqe();
  io_uring_sqe* get_sqe_noexcept() noexcept;
  static void ignore(io_uring_sqe* sqe) noexcept;
  static void prepare(io_uring_sqe* sqe, IoOp& op);
  void link(IoOp& op);
  void unlink(IoOp& op) noexcept;

  // uring_reap.cpp
  void reap();
  bool peek_cqe(io_uring_cqe*& cqe) noexcept;
  void dispatch(const io_uring_cqe& cqe) noexcept;
  void finish(IoOp& op) noexcept;
  void discard(IoOp& op) noexcept;

  // uring_buffers.cpp
  /// Tells memcheck that the kernel wrote the bytes a completion reports.
  void mark_received(const IoOp& op) const noexcept;
  /// Where in its buffer a recv_multishot completion's bytes are (sets buffer_offset and
  /// buffer_more from the CQE's flags).
  void locate_received(IoOp& op, unsigned cqe_flags) noexcept;
  /// Registers `reg`, with IOU_PBUF_RING_INC if `incremental`. Returns 0 or -errno.
  int register_buffer_ring(io_uring& ring, io_uring_buf_reg& reg, bool incremental) noexcept;
  /// Whether the kernel accepts incremental buffer rings (registers and drops a small one).
  bool probe_incremental_buffers(io_uring& ring) noexcept;

  io_uring ring_{};
  DriverOptions options_;
  IoCaps caps_;
  std::vector<BufferGroup> groups_;  // indexed by group id
  int ring_fd_ = -1;
  int wake_fd_;
  unsigned features_ = 0;
  bool defer_taskrun_ = false;  // completions run only inside io_uring_enter of the issuer
  bool single_issuer_ = false;  // only `issuer_` may enter the ring once it is enabled
  bool enabled_ = false;
  std::thread::id issuer_;  // the thread that enabled the ring
  std::uint64_t next_generation_ = 1;
  std::size_t pending_ = 0;
  std::vector<OpList> by_fd_;  // in-flight ops per fd, so forget_fd can cancel them
};

}  // namespace tide::detail
