#include "core/src/backend/uring.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "core/src/backend/uring_data.hpp"

namespace tide::detail {

using namespace uring;

UringDriver::UringDriver(const DriverOptions& options, int wake_fd)
    : options_(options), wake_fd_(wake_fd) {
  setup(ring_, /*allow_defer=*/true);
  ring_fd_ = ring_.ring_fd;
  arm_wake();
}

UringDriver::~UringDriver() {
  io_uring_queue_exit(&ring_);
  for (BufferGroup& g : groups_)
    if (g.ring) ::munmap(g.ring, g.ring_bytes);
}

// Under DEFER_TASKRUN completions wait as task work that wakes only a thread inside
// io_uring_enter: a host sleeping in poll(2) on the ring fd would not wake (measured here: it
// saw the ring readable only when its own timeout expired). So the first request for the fd,
// made before the loop first runs, rebuilds the ring without DEFER_TASKRUN. The new ring is
// set up before the old one goes, so a failure leaves the loop as it was.
int UringDriver::pollable_fd() {
  if (defer_taskrun_ && !enabled_ && pending_ == 0 && groups_.empty()) {
    io_uring fresh{};
    const IoCaps old_caps = caps_;
    const unsigned old_features = features_;
    try {
      setup(fresh, /*allow_defer=*/false);
    } catch (...) {
      caps_ = old_caps;
      features_ = old_features;
      throw;
    }
    io_uring_queue_exit(&ring_);
    ring_ = fresh;
    ring_fd_ = ring_.ring_fd;
    arm_wake();
  }
  return ring_fd_;
}

bool UringDriver::can_reap_here() const noexcept {
  return !single_issuer_ || !enabled_ || issuer_ == std::this_thread::get_id();
}

void UringDriver::setup(io_uring& ring, bool allow_defer) {
  const DriverOptions& options = options_;
  if (options.io_uring_sq_entries == 0)
    throw std::invalid_argument("tide::Loop::Options::io_uring_sq_entries must be at least 1");
  if (options.io_uring_cq_entries != 0 && options.io_uring_cq_entries < options.io_uring_sq_entries)
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
    r = io_uring_queue_init_params(options.io_uring_sq_entries, &ring, &params);
    if (r == 0) {
      features_ = params.features;
      require_opcodes(ring);
      // R_DISABLED: the submitter task is fixed when the ring is enabled, which happens on
      // the thread that first runs the loop (it may not be the one that built it).
      enabled_ = (flags & IORING_SETUP_R_DISABLED) == 0;
      defer_taskrun_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
      single_issuer_ = (flags & IORING_SETUP_SINGLE_ISSUER) != 0;
      return;
    }
    if (r != -EINVAL) break;
  }
  std::string why = "io_uring_setup failed for " + std::to_string(options.io_uring_sq_entries) +
                    " submission entries";
  if (r == -ENOSYS) why += " (this kernel has no io_uring)";
  if (r == -EPERM) why += " (forbidden: a seccomp filter, or the kernel.io_uring_disabled sysctl)";
  throw std::system_error(-r, std::system_category(), "tide io_uring backend: " + why);
}

// tide prepares these opcodes; a kernel that lacks one (io_uring before 5.6, say) cannot
// run the loop on io_uring, and `Auto` then chooses epoll.
void UringDriver::require_opcodes(io_uring& ring) {
  const DriverOptions& options = options_;
  static constexpr std::pair<int, const char*> needed[] = {
      {IORING_OP_READ, "READ"},         {IORING_OP_WRITE, "WRITE"},
      {IORING_OP_READV, "READV"},       {IORING_OP_WRITEV, "WRITEV"},
      {IORING_OP_RECV, "RECV"},         {IORING_OP_SEND, "SEND"},
      {IORING_OP_RECVMSG, "RECVMSG"},   {IORING_OP_SENDMSG, "SENDMSG"},
      {IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_CONNECT, "CONNECT"},
      {IORING_OP_POLL_ADD, "POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
  };
  std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe(io_uring_get_probe_ring(&ring),
                                                                   io_uring_free_probe);
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
    caps_.incremental_buffers = caps_.multishot_recv && options.io_uring_incremental_buffers &&
                                probe_incremental_buffers(ring);
  }
  // Without NODROP a full completion ring loses completions; tide never may.
  if (!(features_ & IORING_FEAT_NODROP)) missing += " FEAT_NODROP";
  if (!missing.empty()) {
    io_uring_queue_exit(&ring);
    throw std::system_error(
        ENOSYS, std::system_category(),
        "tide io_uring backend: this kernel lacks io_uring features tide needs:" + missing);
  }
}

void UringDriver::enable() {
  if (enabled_) return;
  // Direct syscall: liburing 2.3's shared library does not export io_uring_enable_rings.
  if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) <
      0)
    throw std::system_error(errno, std::system_category(),
                            "tide io_uring backend: enabling the ring");
  enabled_ = true;
  issuer_ = std::this_thread::get_id();
  // Saves the kernel a file lookup on every io_uring_enter (registered per thread).
  io_uring_register_ring_fd(&ring_);
}

void UringDriver::arm_wake() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_poll_multishot(sqe, wake_fd_, POLLIN);
  io_uring_sqe_set_data64(sqe, wake_kind);
}

void UringDriver::arm_wake_noexcept() noexcept {
  try {
    arm_wake();
  } catch (...) {
    // Without a free SQE the wake-up poll cannot be re-armed now; posts are still seen on
    // every iteration, only a sleeping loop would not wake for them. get_sqe flushes and
    // retries, so this needs a ring that refuses all submission.
  }
}

std::unique_ptr<Driver> make_uring_driver(const DriverOptions& options, int wake_fd) {
  return std::make_unique<UringDriver>(options, wake_fd);
}

}  // namespace tide::detail
