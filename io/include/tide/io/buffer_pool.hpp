#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tide {
class Loop;
}

namespace tide::io {

namespace detail {
struct PoolState;
class ResultStream;
}  // namespace detail

/// A piece of a byte stream as it arrived, held in one of a BufferPool's buffers. The buffer
/// goes back to the pool when the chunk is destroyed or reset, so keep chunks only as long as
/// their bytes are needed. Move-only. Thread safety: loop thread only.
class Chunk {
 public:
  Chunk() noexcept = default;
  Chunk(Chunk&& other) noexcept;
  Chunk& operator=(Chunk&& other) noexcept;
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  ~Chunk() { reset(); }

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True for the empty chunk that reports the end of the stream.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  /// Gives the buffer back to its pool now.
  void reset() noexcept;

 private:
  friend class detail::ResultStream;
  Chunk(detail::PoolState* pool, std::byte* data, std::size_t size, std::uint16_t id) noexcept;

  detail::PoolState* pool_ = nullptr;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::uint16_t id_ = 0;
};

/// Fixed-size receive buffers shared by the Receivers of one loop. On io_uring they are lent
/// to the kernel as a provided-buffer ring, so one multishot recv per connection picks a
/// buffer for each message as it arrives and no buffer is tied to an idle connection; on the
/// other backends a receive takes a free buffer just before its recv(2). Memory is mapped
/// once, `count * buffer_size` bytes, touched as buffers are used.
///
///     tide::io::BufferPool pool(1024, 16 * 1024);    // 16 MiB at most, for many connections
///     tide::io::Receiver in(socket_fd, pool);
///     tide::io::Chunk c = co_await in.receive();
///
/// Size the buffers to the traffic: a message larger than one buffer arrives as several chunks.
/// When every buffer is held (by chunks, or queued in receivers), receivers wait for one to
/// come back. Copying a BufferPool shares it; the buffers live until the last copy, receiver
/// and chunk are gone. A pool belongs to one loop and must not outlive it.
class BufferPool {
 public:
  static constexpr std::size_t max_count = 32768;  // io_uring's limit for one buffer ring

  /// `count` (1 to 32768) buffers of `buffer_size` (at least 1) bytes for the loop running
  /// on this thread. Throws std::invalid_argument for bad sizes, UsageError without a running
  /// loop, std::system_error if the memory or the kernel registration fails.
  BufferPool(std::size_t count, std::size_t buffer_size);
  /// The same for `loop`, which need not be running yet.
  BufferPool(Loop& loop, std::size_t count, std::size_t buffer_size);
  /// The pool of `loop` (or of the loop running on this thread) that sockets borrow from when
  /// their caller passes none (`TcpStream::receive()`): made on first use, with
  /// `shared_count` buffers of `shared_buffer_size` bytes, and gone with the loop.
  [[nodiscard]] static BufferPool shared(Loop& loop);
  [[nodiscard]] static BufferPool shared();
  static constexpr std::size_t shared_count = 1024;
  static constexpr std::size_t shared_buffer_size = 4096;

  BufferPool(const BufferPool& other) noexcept;
  BufferPool& operator=(const BufferPool& other) noexcept;
  ~BufferPool();

  [[nodiscard]] std::size_t count() const noexcept;
  [[nodiscard]] std::size_t buffer_size() const noexcept;
  /// Buffers neither held by a chunk nor queued in a receiver.
  [[nodiscard]] std::size_t available() const noexcept;

 private:
  friend class Receiver;
  detail::PoolState* state_;
};

}  // namespace tide::io
