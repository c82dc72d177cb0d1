#include "core/src/backend/uring.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <system_error>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
// Memcheck does not know the kernel wrote these bytes.
#define TIDE_MARK_DEFINED(address, length) VALGRIND_MAKE_MEM_DEFINED(address, length)
#else
#define TIDE_MARK_DEFINED(address, length) ((void)(address), (void)(length))
#endif

namespace tide::detail {

std::uint16_t UringDriver::add_buffer_group(std::byte* base, unsigned count, std::size_t size) {
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

void UringDriver::recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept {
  BufferGroup& g = groups_[group];
  io_uring_buf_ring_add(g.ring, g.base + std::size_t{id} * g.size, static_cast<unsigned>(g.size),
                        id, io_uring_buf_ring_mask(g.entries), 0);
  io_uring_buf_ring_advance(g.ring, 1);
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

}  // namespace tide::detail
