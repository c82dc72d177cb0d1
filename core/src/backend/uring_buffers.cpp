#include "core/src/backend/uring.hpp"

#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/src/backend/uring_data.hpp"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
// Memcheck does not know the kernel wrote these bytes.
#define TIDE_MARK_DEFINED(address, length) VALGRIND_MAKE_MEM_DEFINED(address, length)
#else
#define TIDE_MARK_DEFINED(address, length) ((void)(address), (void)(length))
#endif

namespace tide::detail {

namespace {

// liburing 2.3 names the registration's flags field `pad` (reserved before Linux 6.7); newer
// headers call it `flags`. A template, so that only the branch that exists is compiled.
template <typename Reg>
void set_ring_flags(Reg& reg, std::uint16_t flags) noexcept {
  if constexpr (requires { reg.flags; })
    reg.flags = flags;
  else
    reg.pad = flags;
}

}  // namespace

int UringDriver::register_buffer_ring(io_uring& ring, io_uring_buf_reg& reg,
                                      bool incremental) noexcept {
  set_ring_flags(reg, incremental ? uring::pbuf_ring_inc : std::uint16_t{0});
  return io_uring_register_buf_ring(&ring, &reg, 0);
}

// Registers a one-entry ring with the flag under the last group id (never handed out while
// fewer than 65,536 groups exist) and drops it again. Kernels before 6.12 answer EINVAL.
bool UringDriver::probe_incremental_buffers(io_uring& ring) noexcept {
  const long page = ::sysconf(_SC_PAGESIZE);
  void* mem = ::mmap(nullptr, static_cast<std::size_t>(page), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
  reg.ring_entries = 1;
  reg.bgid = UINT16_MAX;
  const bool ok = register_buffer_ring(ring, reg, true) == 0;
  if (ok) io_uring_unregister_buf_ring(&ring, UINT16_MAX);
  ::munmap(mem, static_cast<std::size_t>(page));
  return ok;
}

std::uint16_t UringDriver::add_buffer_group(std::byte* base, unsigned capacity, std::size_t size) {
  if (!caps_.multishot_recv) return Driver::add_buffer_group(base, capacity, size);
  if (capacity == 0 || capacity > 32768 || size == 0 || size > UINT32_MAX)
    throw std::invalid_argument(
        "tide io_uring backend: a buffer group holds 1 to 32768 "
        "buffers of 1 byte to 4 GiB");
  std::size_t id = 0;
  while (id < groups_.size() && groups_[id].ring)
    ++id;
  if (id >= UINT16_MAX)
    throw std::system_error(ENOSPC, std::system_category(),
                            "tide io_uring backend: 65535 buffer groups are in use");
  BufferGroup g;
  g.entries = std::bit_ceil(capacity);
  g.ring_bytes = g.entries * sizeof(io_uring_buf);
  void* mem =
      ::mmap(nullptr, g.ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    throw std::system_error(errno, std::system_category(),
                            "tide io_uring backend: mapping a buffer ring");
  g.ring = static_cast<io_uring_buf_ring*>(mem);
  g.base = base;
  g.size = size;
  g.incremental = caps_.incremental_buffers;
  if (g.incremental) g.filled.assign(capacity, 0);
  io_uring_buf_ring_init(g.ring);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(g.ring);
  reg.ring_entries = g.entries;
  reg.bgid = static_cast<std::uint16_t>(id);
  if (int r = register_buffer_ring(ring_, reg, g.incremental); r < 0) {
    ::munmap(g.ring, g.ring_bytes);
    throw std::system_error(-r, std::system_category(),
                            "tide io_uring backend: registering a buffer ring");
  }
  if (id == groups_.size()) groups_.emplace_back();
  groups_[id] = std::move(g);
  return static_cast<std::uint16_t>(id);
}

void UringDriver::recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept {
  BufferGroup& g = groups_[group];
  if (g.incremental) g.filled[id] = 0;
  io_uring_buf_ring_add(g.ring, g.base + std::size_t{id} * g.size, static_cast<unsigned>(g.size),
                        id, io_uring_buf_ring_mask(g.entries), 0);
  io_uring_buf_ring_advance(g.ring, 1);
}

void UringDriver::locate_received(IoOp& op, unsigned cqe_flags) noexcept {
  op.buffer_offset = 0;
  op.buffer_more = false;
  if (op.buffer_id < 0) return;
  BufferGroup& g = groups_[op.buffer_group];
  if (!g.incremental) return;
  auto& filled = g.filled[static_cast<std::size_t>(op.buffer_id)];
  op.buffer_offset = filled;
  op.buffer_more = (cqe_flags & uring::cqe_f_buf_more) != 0;
  if (op.result > 0) filled += static_cast<std::uint32_t>(op.result);
}

void UringDriver::remove_buffer_group(std::uint16_t group) noexcept {
  BufferGroup& g = groups_[group];
  io_uring_unregister_buf_ring(&ring_, group);
  ::munmap(g.ring, g.ring_bytes);
  g = BufferGroup{};
}

void UringDriver::mark_received(const IoOp& op) const noexcept {
  if (op.result <= 0) return;
  switch (op.kind) {
    case IoOp::Kind::recv_multishot:
      if (op.buffer_id >= 0) {
        const BufferGroup& g = groups_[op.buffer_group];
        TIDE_MARK_DEFINED(
            g.base + static_cast<std::size_t>(op.buffer_id) * g.size + op.buffer_offset,
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

}  // namespace tide::detail
