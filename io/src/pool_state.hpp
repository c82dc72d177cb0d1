#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/wait_queue.hpp>

namespace tide::io::detail {

/// A BufferPool's buffers and bookkeeping, shared (by count) between the pool handles, the
/// receivers that fill its buffers and the chunks that hold them.
struct PoolState {
  PoolState(tide::detail::LoopCore& owner, std::size_t count, std::size_t size);
  ~PoolState();
  PoolState(const PoolState&) = delete;
  PoolState& operator=(const PoolState&) = delete;

  [[nodiscard]] std::byte* buffer(std::uint16_t id) const noexcept {
    return memory + std::size_t{id} * size;
  }
  /// True when the kernel picks buffers itself (an io_uring provided-buffer group).
  [[nodiscard]] bool kernel_picks() const noexcept { return group >= 0; }
  [[nodiscard]] bool exhausted() const noexcept { return lent == count; }

  /// One-shot mode: takes a free buffer for a recv. False if none is free.
  bool take(std::uint16_t& id) noexcept;
  /// A buffer handed out (by `take`, or picked by the kernel) comes back; starved receivers
  /// go on, the longest waiting first.
  void give_back(std::uint16_t id) noexcept;

  void ref() noexcept { ++refs; }
  static void unref(PoolState* pool) noexcept {
    if (pool && --pool->refs == 0) delete pool;
  }

  tide::detail::LoopCore* loop;
  std::size_t refs = 1;
  std::byte* memory = nullptr;
  std::size_t mapped = 0;
  std::size_t count;
  std::size_t size;
  int group = -1;                   // the driver's buffer group, or -1
  std::vector<std::uint16_t> free;  // one-shot mode: buffers not handed out
  std::size_t lent = 0;             // buffers held by chunks or queued in receivers
  tide::detail::WaitQueue waiting;  // receivers starved of buffers, oldest first
};

}  // namespace tide::io::detail
