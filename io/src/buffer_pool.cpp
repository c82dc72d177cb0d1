#include <tide/io/buffer_pool.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <tide/core/loop.hpp>
#include <tide/io/detail/result_stream.hpp>

#include "io/src/pool_state.hpp"

namespace tide::io {

namespace detail {

PoolState::PoolState(tide::detail::LoopCore& owner, std::size_t n, std::size_t bytes)
    : loop(&owner), count(n), size(bytes) {
  if (n == 0 || n > BufferPool::max_count || bytes == 0 || bytes > UINT32_MAX)
    throw std::invalid_argument("tide::io::BufferPool: " + std::to_string(n) + " buffers of " +
                                std::to_string(bytes) +
                                " bytes: need 1 to 32768 buffers of 1 byte to 4 GiB");
  if (n > SIZE_MAX / bytes)
    throw std::invalid_argument("tide::io::BufferPool: count * buffer_size overflows");
  mapped = n * bytes;
  // Untouched pages cost nothing; MAP_NORESERVE keeps a large pool from counting against the
  // commit limit before it is used.
  void* m = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    throw std::system_error(errno, std::system_category(),
                            "tide::io::BufferPool: mapping " + std::to_string(mapped) + " bytes");
  memory = static_cast<std::byte*>(m);
  try {
    slabs.reserve(n);
    if (loop->io_caps().multishot_recv) {
      group = loop->add_buffer_group(memory, static_cast<unsigned>(n), bytes);
      packs = loop->io_caps().incremental_buffers;
      // A few to start with: packed slabs take many receives each; whole-buffer slabs go
      // one per receive, so more are lent at once.
      grow(std::min<std::size_t>(n, packs ? 2 : 16));
    } else {
      free.reserve(n);
    }
  } catch (...) {
    ::munmap(memory, mapped);
    throw;
  }
}

PoolState::~PoolState() {
  if (group >= 0) loop->remove_buffer_group(static_cast<std::uint16_t>(group));
  ::munmap(memory, mapped);
}

// Puts `more` slabs to use (the caller checked that the pool may have them). Capacity for
// every slab is reserved up front, so this never allocates.
void PoolState::grow(std::size_t more) noexcept {
  for (; more > 0 && slabs.size() < count; --more) {
    const auto id = static_cast<std::uint16_t>(slabs.size());
    slabs.emplace_back();
    if (kernel_picks())
      lend(id);
    else
      free.push_back(id);
  }
}

void PoolState::lend(std::uint16_t id) noexcept {
  slabs[id].in_ring = true;
  ++ringed;
  loop->recycle_buffer(static_cast<std::uint16_t>(group), id);
}

// Ring mode: grows the pool by half when fewer than a quarter of its slabs (or fewer than 2)
// are left for the kernel to fill, so that receivers seldom find the ring empty (each
// multishot recv that does ends, and costs a new submission).
void PoolState::top_up() noexcept {
  if (ringed < std::max<std::size_t>(2, slabs.size() / 4))
    grow(std::max<std::size_t>(2, slabs.size() / 2));
}

bool PoolState::filled(std::uint16_t id, long bytes, bool kernel_keeps) noexcept {
  // An incremental ring never gives a slab up on an empty completion (Linux 6.12 commits no
  // bytes then); the kernel reports no buffer at the end of the stream either.
  if (packs && bytes <= 0) return false;
  Slab& s = slabs[id];
  const bool chunk = bytes > 0;
  if (chunk && s.chunks++ == 0) ++in_use;
  if (!kernel_keeps) {
    s.in_ring = false;
    --ringed;
    if (!chunk) lend(id);  // nothing landed in it
    top_up();
  }
  return chunk;
}

bool PoolState::ring_ready() noexcept {
  if (ringed == 0) top_up();
  return ringed > 0;
}

bool PoolState::tail(std::uint16_t& id, std::byte*& at, std::size_t& room) noexcept {
  // A tail under a quarter of a slab would cut messages into small pieces (or, at a few
  // bytes, cost a recv each): take a fresh slab instead.
  const std::size_t least = std::max<std::size_t>(1, size / 4);
  if (current >= 0) {
    Slab& s = slabs[static_cast<std::size_t>(current)];
    if (s.chunks == 0) s.fill = 0;  // every chunk was dropped: fill it from the start again
    if (size - s.fill < least) current = -1;  // left to its chunks; free when they go
  }
  if (current < 0) {
    if (free.empty()) {
      if (slabs.size() == count) return false;
      grow(1);
    }
    current = free.back();  // the most recently used: its pages are likely in cache
    free.pop_back();
    slabs[static_cast<std::size_t>(current)].fill = 0;
  }
  id = static_cast<std::uint16_t>(current);
  at = slab(id) + slabs[id].fill;
  room = size - slabs[id].fill;
  return true;
}

std::uint32_t PoolState::carve(std::uint16_t id, std::size_t bytes) noexcept {
  Slab& s = slabs[id];
  const std::uint32_t offset = s.fill;
  s.fill += static_cast<std::uint32_t>(bytes);
  if (s.chunks++ == 0) ++in_use;
  return offset;
}

void PoolState::release(std::uint16_t id) noexcept {
  Slab& s = slabs[id];
  if (--s.chunks > 0) return;
  --in_use;
  if (kernel_picks()) {
    if (s.in_ring) return;  // the kernel is still filling it
    lend(id);
  } else if (id != current) {
    free.push_back(id);  // capacity reserved for every slab: never allocates
  }
  // A slab can serve several receivers (each takes only what arrives for it): every starved
  // receiver tries again; those that find nothing starve again, in the same order.
  waiting.wake_all();
}

}  // namespace detail

// ---- Chunk ----------------------------------------------------------------------------------

Chunk::Chunk(detail::PoolState* pool, std::byte* data, std::size_t size, std::uint16_t id) noexcept
    : pool_(pool), data_(data), size_(size), id_(id) {
  pool_->ref();
}

Chunk::Chunk(Chunk&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      id_(other.id_) {}

Chunk& Chunk::operator=(Chunk&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    id_ = other.id_;
  }
  return *this;
}

void Chunk::reset() noexcept {
  if (detail::PoolState* pool = std::exchange(pool_, nullptr)) {
    pool->release(id_);
    detail::PoolState::unref(pool);
  }
  data_ = nullptr;
  size_ = 0;
}

// ---- BufferPool -----------------------------------------------------------------------------

BufferPool::BufferPool(std::size_t count, std::size_t buffer_size)
    : state_(new detail::PoolState(tide::detail::current_core("tide::io::BufferPool"), count,
                                   buffer_size)) {}

BufferPool::BufferPool(Loop& loop, std::size_t count, std::size_t buffer_size)
    : state_(new detail::PoolState(loop.core(), count, buffer_size)) {}

BufferPool::BufferPool(const BufferPool& other) noexcept : state_(other.state_) {
  state_->ref();
}

BufferPool& BufferPool::operator=(const BufferPool& other) noexcept {
  other.state_->ref();
  detail::PoolState::unref(state_);
  state_ = other.state_;
  return *this;
}

BufferPool::~BufferPool() {
  detail::PoolState::unref(state_);
}

std::size_t BufferPool::count() const noexcept {
  return state_->count;
}
std::size_t BufferPool::buffer_size() const noexcept {
  return state_->size;
}
std::size_t BufferPool::available() const noexcept {
  return state_->available();
}
std::size_t BufferPool::touched() const noexcept {
  return state_->slabs.size() * state_->size;
}
bool BufferPool::packs() const noexcept {
  return state_->packs;
}

}  // namespace tide::io
