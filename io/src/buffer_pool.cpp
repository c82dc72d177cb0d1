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
    if (loop->io_caps().multishot_recv) {
      group = loop->add_buffer_group(memory, static_cast<unsigned>(n), bytes);
    } else {
      free.reserve(n);
      for (std::size_t i = n; i-- > 0;)
        free.push_back(static_cast<std::uint16_t>(i));
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

bool PoolState::take(std::uint16_t& id) noexcept {
  if (free.empty()) return false;
  id = free.back();
  free.pop_back();
  ++lent;
  return true;
}

void PoolState::give_back(std::uint16_t id) noexcept {
  --lent;
  if (kernel_picks())
    loop->recycle_buffer(static_cast<std::uint16_t>(group), id);
  else
    free.push_back(id);  // capacity reserved for every buffer: never allocates
  // Receivers that will not use a buffer now (none of their tasks waits) just stop waiting.
  while (!exhausted() && waiting.wake_one()) {
  }
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
    pool->give_back(id_);
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
  return state_->count - state_->lent;
}

}  // namespace tide::io
