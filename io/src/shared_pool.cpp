#include <tide/core/detail/loop_core.hpp>
#include <tide/core/loop.hpp>
#include <tide/io/buffer_pool.hpp>

namespace tide::io {

namespace {
constexpr char shared_pool_key = 0;  // its address names the loop's shared pool
}  // namespace

BufferPool BufferPool::shared(Loop& loop) {
  auto& core = loop.core();
  if (auto* pool = static_cast<BufferPool*>(core.extension(&shared_pool_key))) return *pool;
  auto pool = std::make_shared<BufferPool>(loop, shared_count, shared_buffer_size);
  core.set_extension(&shared_pool_key, pool);
  return *pool;
}

BufferPool BufferPool::shared() {
  return shared(Loop::current());
}

}  // namespace tide::io
