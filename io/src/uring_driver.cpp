// The io_uring backend. Operations are prepared into the submission ring as they come and
// submitted together, once per loop iteration, by the wait (one io_uring_enter for the whole
// batch, which also reaps completions). What the running kernel supports decides the setup:
// SINGLE_ISSUER + DEFER_TASKRUN where available (completions are posted only when the loop
// asks for them: no interrupts, small batches; MEASURED.md found it 26% cheaper than
// COOP_TASKRUN at 10,000 connections), else COOP_TASKRUN, else plain.
//
// user_data of every SQE: bits 63..48 a generation, 47..2 the IoOp's address, 1..0 its kind
// (op, cancel of op, wake-up, ignored). A completion or cancel therefore never reaches an op
// that merely reuses an old op's memory.
#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
// Memcheck does not know the kernel wrote these bytes.
#define TIDE_MARK_DEFINED(address, length) VALGRIND_MAKE_MEM_DEFINED(address, length)
#else
#define TIDE_MARK_DEFINED(address, length) ((void)(address), (void)(length))
#endif

#include "core/src/driver.hpp"

namespace tide::detail {

namespace {

enum DataKind : std::uint64_t { op_kind = 0, cancel_kind = 1, wake_kind = 2, ignored_kind = 3 };
constexpr std::uint64_t kind_mask = 3;
constexpr std::uint64_t address_mask = 0x0000'ffff'ffff'fffcULL;
constexpr int generation_shift = 48;

IoOp* op_of(std::uint64_t data) noexcept {
  return reinterpret_cast<IoOp*>(data & address_mask);
}

// The op's fd was closed by tide while the op was in flight (parity with the readiness
// drivers, which complete such ops with EBADF).
constexpr std::uint8_t fd_closed = 2;

class UringDriver final : public Driver {
 public:
  UringDriver(const DriverOptions& options, int wake_fd) : options_(options), wake_fd_(wake_fd) {
    setup(options);
    arm_wake();
  }
  ~UringDriver() override {
    io_uring_queue_exit(&ring_);
    for (BufferGroup& g : groups_)
      if (g.ring) ::munmap(g.ring, g.ring_bytes);
  }

  [[nodiscard]] std::string_view name() const noexcept override { return "io_uring"; }
  bool try_now(IoOp&) noexcept override { return false; }
  // Under DEFER_TASKRUN completions wait as task work that wakes only a thread inside
  // io_uring_enter: a host sleeping in poll(2) on the ring fd would not wake (measured here:
  // it saw the ring readable only when its own timeout expired). So the first request for
  // the fd, made before the loop first runs, rebuilds the ring without DEFER_TASKRUN.
  [[nodiscard]] int pollable_fd() const noexcept override {
    auto& self = const_cast<UringDriver&>(*this);
    if (defer_taskrun_ && !enabled_ && pending_ == 0 && groups_.empty()) {
      try {
        io_uring_queue_exit(&self.ring_);
        self.setup(options_, /*allow_defer=*/false);
        self.arm_wake();
      } catch (...) {
        std::abort();  // the old ring is gone; a loop without one cannot go on
      }
    }
    return ring_fd_;
  }
  [[nodiscard]] std::size_t pending() const noexcept override { return pending_; }
  [[nodiscard]] bool has_unsubmitted() const noexcept override {
    return !enabled_ || io_uring_sq_ready(&ring_) > 0;
  }
  [[nodiscard]] Caps caps() const noexcept override { return caps_; }

  std::uint16_t add_buffer_group(std::byte* base, unsigned count, std::size_t size) override {
    if (!caps_.multishot_recv) return Driver::add_buffer_group(base, count, size);
    if (count == 0 || count > 32768 || size == 0 || size > UINT32_MAX)
      throw std::invalid_argument(
          "tide io_uring backend: a buffer group holds 1 to 32768 "
          "buffers of 1 byte to 4 GiB");
    std::size_t id = 0;
    while (id < groups_.size() && groups_[id].ring)
      ++id;
    if (id > UINT16_MAX)
      throw std::system_error(ENOSPC, std::system_category(),
                              "tide io_uring backend: 65536 buffer groups are in use");
    BufferGroup g;
    g.entries = std::bit_ceil(count);
    g.ring_bytes = g.entries * sizeof(io_uring_buf);
    void* mem =
        ::mmap(nullptr, g.ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
      throw std::system_error(errno, std::system_category(),
                              "tide io_uring backend: mapping a buffer ring");
    g.ring = static_cast<io_uring_buf_ring*>(mem);
    g.base = base;
    g.size = size;
    io_uring_buf_ring_init(g.ring);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(g.ring);
    reg.ring_entries = g.entries;
    reg.bgid = static_cast<std::uint16_t>(id);
    if (int r = io_uring_register_buf_ring(&ring_, &reg, 0); r < 0) {
      ::munmap(g.ring, g.ring_bytes);
      throw std::system_error(-r, std::system_category(),
                              "tide io_uring backend: registering a buffer ring");
    }
    const int mask = io_uring_buf_ring_mask(g.entries);
    for (unsigned i = 0; i < count; ++i)
      io_uring_buf_ring_add(g.ring, base + i * size, static_cast<unsigned>(size),
                            static_cast<unsigned short>(i), mask, static_cast<int>(i));
    io_uring_buf_ring_advance(g.ring, static_cast<int>(count));
    if (id == groups_.size()) groups_.emplace_back();
    groups_[id] = g;
    return static_cast<std::uint16_t>(id);
  }

  void recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept override {
    BufferGroup& g = groups_[group];
    io_uring_buf_ring_add(g.ring, g.base + std::size_t{id} * g.size, static_cast<unsigned>(g.size),
                          id, io_uring_buf_ring_mask(g.entries), 0);
    io_uring_buf_ring_advance(g.ring, 1);
  }

  void remove_buffer_group(std::uint16_t group) noexcept override {
    BufferGroup& g = groups_[group];
    io_uring_unregister_buf_ring(&ring_, group);
    ::munmap(g.ring, g.ring_bytes);
    g = BufferGroup{};
  }

  void submit(IoOp& op) override {
    io_uring_sqe* sqe = get_sqe();
    prepare(sqe, op);
    op.tag =
        (next_generation_++ << generation_shift) | reinterpret_cast<std::uint64_t>(&op) | op_kind;
    io_uring_sqe_set_data64(sqe, op.tag);
    op.in_flight = true;
    op.buffer_id = -1;
    op.cqe_seen = false;
    op.cancels = 0;
    op.progress = 0;
    link(op);
  }

  void cancel(IoOp& op) noexcept override {
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

  void abandon(IoOp& op) noexcept override {
    if (!op.in_flight) return;
    op.on_complete = nullptr;  // finish quietly: the awaiter is being destroyed
    cancel(op);
    // The kernel may still write into the op's buffers until its completion (and the
    // cancel's) arrive; only then may the memory go.
    while (op.in_flight) {
      int r = io_uring_submit_and_wait(&ring_, 1);
      if (r < 0 && r != -EINTR && r != -EBUSY && r != -ETIME) break;  // ring unusable: give up
      reap();
    }
  }

  void forget_fd(int fd) noexcept override {
    if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) return;
    if (by_fd_[fd] == nullptr) return;  // nothing in flight on it: no syscall
    for (IoOp* op = by_fd_[fd]; op != nullptr; op = op->next) {
      op->progress = fd_closed;
      cancel(*op);
    }
    // Submitted now, before the number can be reused by a new fd's operations.
    io_uring_submit(&ring_);
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
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

 private:
  void setup(const DriverOptions& options, bool allow_defer = true) {
    if (options.io_uring_sq_entries == 0)
      throw std::invalid_argument("tide::Loop::Options::io_uring_sq_entries must be at least 1");
    if (options.io_uring_cq_entries != 0 &&
        options.io_uring_cq_entries < options.io_uring_sq_entries)
      throw std::invalid_argument("tide::Loop::Options::io_uring_cq_entries (" +
                                  std::to_string(options.io_uring_cq_entries) +
                                  ") must be 0 or at least io_uring_sq_entries (" +
                                  std::to_string(options.io_uring_sq_entries) + ")");
    // Best first; a kernel that does not know a flag answers EINVAL.
    const unsigned attempts[] = {
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
            IORING_SETUP_R_DISABLED,
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int r = -EINVAL;
    for (unsigned flags : attempts) {
      if (!allow_defer && (flags & IORING_SETUP_DEFER_TASKRUN)) continue;
      io_uring_params params{};
      params.flags = flags;
      if (options.io_uring_cq_entries) {
        params.flags |= IORING_SETUP_CQSIZE;
        params.cq_entries = options.io_uring_cq_entries;
      }
      r = io_uring_queue_init_params(options.io_uring_sq_entries, &ring_, &params);
      if (r == 0) {
        features_ = params.features;
        require_opcodes(options);
        // R_DISABLED: the submitter task is fixed when the ring is enabled, which happens on
        // the thread that first runs the loop (it may not be the one that built it).
        enabled_ = (flags & IORING_SETUP_R_DISABLED) == 0;
        defer_taskrun_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
        ring_fd_ = ring_.ring_fd;
        return;
      }
      if (r != -EINVAL) break;
    }
    std::string why = "io_uring_setup failed for " + std::to_string(options.io_uring_sq_entries) +
                      " submission entries";
    if (r == -ENOSYS) why += " (this kernel has no io_uring)";
    if (r == -EPERM)
      why += " (forbidden: a seccomp filter, or the kernel.io_uring_disabled sysctl)";
    throw std::system_error(-r, std::system_category(), "tide io_uring backend: " + why);
  }

  // tide prepares these opcodes; a kernel that lacks one (io_uring before 5.6, say) cannot
  // run the loop on io_uring, and `Auto` then chooses epoll.
  void require_opcodes(const DriverOptions& options) {
    static constexpr std::pair<int, const char*> needed[] = {
        {IORING_OP_READ, "READ"},         {IORING_OP_WRITE, "WRITE"},
        {IORING_OP_READV, "READV"},       {IORING_OP_WRITEV, "WRITEV"},
        {IORING_OP_RECV, "RECV"},         {IORING_OP_SEND, "SEND"},
        {IORING_OP_RECVMSG, "RECVMSG"},   {IORING_OP_SENDMSG, "SENDMSG"},
        {IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_CONNECT, "CONNECT"},
        {IORING_OP_POLL_ADD, "POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    };
    std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe(
        io_uring_get_probe_ring(&ring_), io_uring_free_probe);
    std::string missing;
    if (!probe) {
      missing = "(the kernel cannot be probed)";
    } else {
      for (auto [opcode, name] : needed)
        if (!io_uring_opcode_supported(probe.get(), opcode)) missing += std::string(" ") + name;
    }
    // Multishot accept came with 5.19, multishot recv and provided-buffer rings with 6.0; they
    // share opcodes with the one-shot forms, so the opcodes new in those releases (SOCKET,
    // SEND_ZC) tell whether the kernel is recent enough.
    if (probe && options.io_uring_multishot) {
      caps_.multishot_accept = io_uring_opcode_supported(probe.get(), IORING_OP_SOCKET);
      caps_.multishot_recv = io_uring_opcode_supported(probe.get(), IORING_OP_SEND_ZC);
    }
    // Without NODROP a full completion ring loses completions; tide never may.
    if (!(features_ & IORING_FEAT_NODROP)) missing += " FEAT_NODROP";
    if (!missing.empty()) {
      io_uring_queue_exit(&ring_);
      throw std::system_error(
          ENOSYS, std::system_category(),
          "tide io_uring backend: this kernel lacks io_uring features tide needs:" + missing);
    }
  }

  void enable() {
    if (enabled_) return;
    // Direct syscall: liburing 2.3's shared library does not export io_uring_enable_rings.
    if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) <
        0)
      throw std::system_error(errno, std::system_category(),
                              "tide io_uring backend: enabling the ring");
    enabled_ = true;
    // Saves the kernel a file lookup on every io_uring_enter (registered per thread).
    io_uring_register_ring_fd(&ring_);
  }

  void arm_wake() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_poll_multishot(sqe, wake_fd_, POLLIN);
    io_uring_sqe_set_data64(sqe, wake_kind);
  }

  // A free SQE. A full submission ring is flushed to the kernel (and, if the kernel pushes
  // back because completions overflowed, those are reaped first): never an error to the user.
  io_uring_sqe* get_sqe() {
    for (int attempt = 0;; ++attempt) {
      if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
      enable();
      int r = io_uring_submit(&ring_);
      if (r == -EBUSY || r == -EAGAIN) {
        io_uring_get_events(&ring_);
        reap();
      } else if (r < 0) {
        throw std::system_error(-r, std::system_category(),
                                "tide io_uring backend: io_uring_submit");
      }
    }
  }
  io_uring_sqe* get_sqe_noexcept() noexcept {
    try {
      return get_sqe();
    } catch (...) {
      return nullptr;  // a ring that cannot submit at all: cancellation then cannot be sent
    }
  }
  static void ignore(io_uring_sqe* sqe) noexcept {
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, ignored_kind);
  }

  static void prepare(io_uring_sqe* sqe, IoOp& op) {
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

  // Each completion is taken off the ring before it is dispatched: a multishot op's callback
  // may call back into the driver (cancel), which may flush and reap again; the nested reap
  // then goes on with the next completion, in order.
  void reap() {
    for (;;) {
      io_uring_cqe* cqe;
      while (io_uring_peek_cqe_nowait(cqe)) {
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
  bool io_uring_peek_cqe_nowait(io_uring_cqe*& cqe) noexcept {
    const unsigned head = *ring_.cq.khead;
    if (head == io_uring_smp_load_acquire(ring_.cq.ktail)) return false;
    cqe = &ring_.cq.cqes[head & ring_.cq.ring_mask];
    return true;
  }

  void dispatch(const io_uring_cqe& cqe) noexcept {
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
    if (op->result == -ECANCELED && op->progress == fd_closed) op->result = -EBADF;
    mark_received(*op);
    if (cqe.flags & IORING_CQE_F_MORE) {  // one of many: the op stays in flight
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

  void mark_received(const IoOp& op) const noexcept {
    if (op.result <= 0) return;
    switch (op.kind) {
      case IoOp::Kind::recv_multishot:
        if (op.buffer_id >= 0) {
          const BufferGroup& g = groups_[op.buffer_group];
          TIDE_MARK_DEFINED(g.base + static_cast<std::size_t>(op.buffer_id) * g.size,
                            static_cast<std::size_t>(op.result));
        }
        break;
      case IoOp::Kind::read:
      case IoOp::Kind::recv:
        TIDE_MARK_DEFINED(op.buffer, static_cast<std::size_t>(op.result));
        break;
      case IoOp::Kind::readv: {
        auto left = static_cast<std::size_t>(op.result);
        const auto* iov = static_cast<const iovec*>(op.buffer);
        for (std::size_t i = 0; i < op.length && left > 0; ++i) {
          std::size_t n = std::min(left, iov[i].iov_len);
          TIDE_MARK_DEFINED(iov[i].iov_base, n);
          left -= n;
        }
        break;
      }
      default:
        break;
    }
  }

  // A result nobody will receive (its awaiter is being destroyed) must not leak what it holds.
  void discard(IoOp& op) noexcept {
    if (op.result >= 0 &&
        (op.kind == IoOp::Kind::accept || op.kind == IoOp::Kind::accept_multishot))
      ::close(static_cast<int>(op.result));
    if (op.buffer_id >= 0)
      recycle_buffer(op.buffer_group, static_cast<std::uint16_t>(op.buffer_id));
    op.result = -ECANCELED;
    op.buffer_id = -1;
  }

  void arm_wake_noexcept() noexcept {
    try {
      arm_wake();
    } catch (...) {
      // Without a free SQE the wake-up poll cannot be re-armed now; posts are still seen on
      // every iteration, only a sleeping loop would not wake for them. get_sqe flushes and
      // retries, so this needs a ring that refuses all submission.
    }
  }

  void finish(IoOp& op) noexcept {
    unlink(op);
    op.in_flight = false;
    if (op.on_complete) op.on_complete(op);
  }

  // Per-fd lists of in-flight ops, so forget_fd can cancel them.
  void link(IoOp& op) {
    if (static_cast<std::size_t>(op.fd) >= by_fd_.size())
      by_fd_.resize(static_cast<std::size_t>(op.fd) + 64, nullptr);
    IoOp*& head = by_fd_[op.fd];
    op.prev = nullptr;
    op.next = head;
    if (head) head->prev = &op;
    head = &op;
    ++pending_;
  }
  void unlink(IoOp& op) noexcept {
    if (op.prev)
      op.prev->next = op.next;
    else
      by_fd_[op.fd] = op.next;
    if (op.next) op.next->prev = op.prev;
    op.next = op.prev = nullptr;
    --pending_;
  }

  // A provided-buffer ring (its memory is tide's: liburing 2.3 cannot set one up).
  struct BufferGroup {
    io_uring_buf_ring* ring = nullptr;
    std::size_t ring_bytes = 0;
    unsigned entries = 0;
    std::byte* base = nullptr;
    std::size_t size = 0;
  };

  io_uring ring_{};
  Caps caps_;
  std::vector<BufferGroup> groups_;  // indexed by group id
  int ring_fd_ = -1;
  DriverOptions options_;
  bool defer_taskrun_ = false;
  int wake_fd_;
  unsigned features_ = 0;
  bool enabled_ = false;
  std::uint64_t next_generation_ = 1;
  std::size_t pending_ = 0;
  std::vector<IoOp*> by_fd_;
};

}  // namespace

std::unique_ptr<Driver> make_uring_driver(const DriverOptions& options, int wake_fd) {
  return std::make_unique<UringDriver>(options, wake_fd);
}

}  // namespace tide::detail
