#pragma once

#include <cstddef>
#include <new>

namespace tide::detail {

/// Memory for coroutine frames: per-thread free lists by 64-byte size class (frames up to
/// 2 KiB), so a task that awaits short-lived children, or spawns many, reuses warm frames
/// instead of going to malloc each time. The hit path is inline; larger frames, misses, and
/// every frame under AddressSanitizer (so it still sees use-after-free) go to operator new.
struct FramePool {
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t classes = 32;
  static constexpr std::size_t bytes_kept_per_class = std::size_t{4} << 20;

  struct Block {
    Block* next;
  };
  Block* heads[classes + 1] = {};
  std::size_t counts[classes + 1] = {};
  bool registered = false;  // a thread-exit hook frees what the lists hold

  static constexpr std::size_t class_of(std::size_t size) noexcept {
    return (size + granule - 1) / granule;
  }
};

#if defined(__SANITIZE_ADDRESS__)
#define TIDE_POOL_FRAMES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIDE_POOL_FRAMES 0
#endif
#endif
#ifndef TIDE_POOL_FRAMES
#define TIDE_POOL_FRAMES 1
#endif

// Trivially constructed and destroyed, so every access is a plain thread-pointer offset.
[[gnu::tls_model("initial-exec")]] inline thread_local constinit FramePool t_frame_pool{};

void* allocate_frame_slow(std::size_t size);
void deallocate_frame_slow(void* frame, std::size_t size) noexcept;

inline void* allocate_frame(std::size_t size) {
#if TIDE_POOL_FRAMES
  const std::size_t c = FramePool::class_of(size);
  if (c <= FramePool::classes) {
    FramePool& pool = t_frame_pool;
    if (FramePool::Block* block = pool.heads[c]) {
      pool.heads[c] = block->next;
      --pool.counts[c];
      return block;
    }
  }
#endif
  return allocate_frame_slow(size);
}

inline void deallocate_frame(void* frame, std::size_t size) noexcept {
#if TIDE_POOL_FRAMES
  const std::size_t c = FramePool::class_of(size);
  if (c <= FramePool::classes) {
    FramePool& pool = t_frame_pool;
    if (pool.registered &&
        pool.counts[c] * c * FramePool::granule < FramePool::bytes_kept_per_class) {
      pool.heads[c] = ::new (frame) FramePool::Block{pool.heads[c]};
      ++pool.counts[c];
      return;
    }
  }
#endif
  deallocate_frame_slow(frame, size);
}

}  // namespace tide::detail
