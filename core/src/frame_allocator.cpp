#include <tide/core/detail/frame_allocator.hpp>

#include <new>
#include <utility>

namespace tide::detail {

namespace {

// Frees the calling thread's cached frames when it exits.
struct PoolReleaser {
  ~PoolReleaser() {
    FramePool& pool = t_frame_pool;
    pool.registered = false;
    for (auto*& head : pool.heads)
      while (head)
        ::operator delete(std::exchange(head, head->next));
  }
};

std::size_t rounded(std::size_t size) noexcept {
  const std::size_t c = FramePool::class_of(size);
  return c <= FramePool::classes ? c * FramePool::granule : size;
}

}  // namespace

void* allocate_frame_slow(std::size_t size) {
#if TIDE_POOL_FRAMES
  FramePool& pool = t_frame_pool;
  if (!pool.registered) {
    static thread_local PoolReleaser releaser;
    (void)releaser;
    pool.registered = true;
  }
#endif
  // Rounded to its class, so the block can serve any frame of that class once freed.
  return ::operator new(rounded(size));
}

void deallocate_frame_slow(void* frame, std::size_t) noexcept {
  ::operator delete(frame);
}

}  // namespace tide::detail
