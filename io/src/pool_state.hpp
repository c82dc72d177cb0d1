#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/wait_queue.hpp>

namespace tide::io::detail {

/// A BufferPool's buffers ("slabs") and bookkeeping, shared (by count) between the pool
/// handles, the receivers that fill its slabs and the chunks cut from them.
///
/// A slab holds the bytes of one or more chunks, one after another. It is put to use only
/// when the traffic needs it (the pool starts with few and grows up to `count`), and it is
/// filled again only once every chunk cut from it is dropped and whoever fills it is done:
/// - ring mode (io_uring provided buffers): the kernel fills the slabs it is lent in FIFO
///   order. With incremental consumption (Linux 6.12) it packs one receive after another
///   into the slab at the ring's head and gives it up when it is full; without, each receive
///   takes a whole slab. A slab goes back into the ring when the kernel has given it up and
///   its last chunk is dropped.
/// - one-shot mode (epoll, poll, io_uring without multishot recv): a receiver that finds data
///   recv(2)s it into the free tail of the current slab; a slab whose tail is too small to be
///   worth a recv is left to its chunks, and the next free (or a new) slab becomes current.
struct PoolState {
  PoolState(tide::detail::LoopCore& owner, std::size_t count, std::size_t size);
  ~PoolState();
  PoolState(const PoolState&) = delete;
  PoolState& operator=(const PoolState&) = delete;

  [[nodiscard]] std::byte* slab(std::uint16_t id) const noexcept {
    return memory + std::size_t{id} * size;
  }
  /// True when the kernel picks slabs itself (an io_uring provided-buffer group).
  [[nodiscard]] bool kernel_picks() const noexcept { return group >= 0; }
  /// Slabs holding no chunk's bytes (the pool's maximum less those in use).
  [[nodiscard]] std::size_t available() const noexcept { return count - in_use; }

  // ---- ring mode ----
  /// The kernel reported `bytes` (a byte count or -errno) received into slab `id`;
  /// `kernel_keeps`: it goes on filling that slab. True if the bytes are a chunk the caller
  /// now holds (to be dropped with `release`).
  bool filled(std::uint16_t id, long bytes, bool kernel_keeps) noexcept;
  /// Sees that the ring has a slab for the kernel to fill, growing the pool if it is low and
  /// may grow. False if none is there (every slab the pool may have is held by chunks).
  bool ring_ready() noexcept;

  // ---- one-shot mode ----
  /// Where the next recv may write: slab `id`'s free tail, at `at`, `room` bytes. False if
  /// no slab has room and the pool is at its maximum.
  bool tail(std::uint16_t& id, std::byte*& at, std::size_t& room) noexcept;
  /// `bytes` were written at slab `id`'s tail: they become a chunk the caller holds. Returns
  /// their offset in the slab.
  std::uint32_t carve(std::uint16_t id, std::size_t bytes) noexcept;

  /// A chunk of slab `id` is dropped (a Chunk reset, a result nobody claimed). A slab left
  /// with no chunk is filled again; starved receivers go on.
  void release(std::uint16_t id) noexcept;

  void ref() noexcept { ++refs; }
  static void unref(PoolState* pool) noexcept {
    if (pool && --pool->refs == 0) delete pool;
  }

  struct Slab {
    std::uint32_t chunks = 0;  // chunks cut from it and not yet dropped (held or queued)
    std::uint32_t fill = 0;    // one-shot mode: bytes carved since it was last empty
    bool in_ring = false;      // ring mode: lent to the kernel, which has not given it up
  };

  tide::detail::LoopCore* loop;
  std::size_t refs = 1;
  std::byte* memory = nullptr;
  std::size_t mapped = 0;
  std::size_t count;        // slabs at most
  std::size_t size;         // bytes per slab
  int group = -1;           // the driver's buffer group, or -1 (one-shot mode)
  bool packs = true;        // chunks share slabs (false only in ring mode without incremental use)
  std::vector<Slab> slabs;  // the slabs put to use so far (ids 0..size()-1)
  std::vector<std::uint16_t> free;  // one-shot mode: slabs with no chunk, except `current`
  std::int32_t current = -1;        // one-shot mode: the slab being carved, or -1
  std::size_t in_use = 0;           // slabs with chunks > 0
  std::size_t ringed = 0;           // ring mode: slabs with in_ring
  tide::detail::WaitQueue waiting{{.owner = this, .what = "BufferPool slab"}};  // starved receivers

 private:
  void grow(std::size_t more) noexcept;
  void lend(std::uint16_t id) noexcept;
  void top_up() noexcept;
};

}  // namespace tide::io::detail
