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

/// A piece of a byte stream as it arrived, held in one of a BufferPool's buffers (which it may
/// share with other chunks). The buffer can be filled again only once every chunk in it is
/// destroyed or reset, so keep chunks only as long as their bytes are needed: one chunk kept
/// for long keeps its whole buffer from being reused. Move-only. Thread safety: loop thread
/// only.
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

/// Receive buffers shared by the Receivers of one loop, put to use as the traffic needs them.
/// Each buffer holds the chunks of many receives, one after another, and goes back to be
/// filled again when its last chunk is dropped:
/// - on io_uring they are lent to the kernel as a provided-buffer ring, so one multishot recv
///   per connection takes memory only for the bytes that arrive and no buffer is tied to an
///   idle connection. Kernels since 6.12 fill a buffer incrementally (IOU_PBUF_RING_INC): small
///   messages pack into it and a message as large as a buffer arrives whole (in two chunks
///   when it straddles two buffers). Older kernels use a whole buffer for each receive.
/// - on epoll and poll (and io_uring without multishot recv) a receive waits for the socket
///   to be readable holding no memory, then recv(2)s into the free end of the buffer being
///   filled (a fresh one when less than a quarter of it is left).
///
///     tide::io::BufferPool pool(256, 64 * 1024);    // 16 MiB at most, for many connections
///     tide::io::Receiver in(socket_fd, pool);
///     tide::io::Chunk c = co_await in.receive();
///
/// `count * buffer_size` is a maximum: the pool starts with a few buffers and adds more when
/// receivers run short, so its memory follows the bytes held at once, not the maximum (it
/// does not give memory back, though: a buffer once used stays resident until the pool goes).
/// When every buffer the pool may have holds chunks (held, or queued in receivers),
/// receivers wait for one to come back. Copying a BufferPool shares it; the buffers live until
/// the last copy, receiver and chunk are gone. A pool belongs to one loop and must not outlive
/// it.
class BufferPool {
 public:
  static constexpr std::size_t max_count = 32768;  // io_uring's limit for one buffer ring

  /// At most `count` (1 to 32768) buffers of `buffer_size` (at least 1) bytes for the loop running
  /// on this thread. Throws std::invalid_argument for bad sizes, UsageError without a running
  /// loop, std::system_error if the memory or the kernel registration fails.
  BufferPool(std::size_t count, std::size_t buffer_size);
  /// The same for `loop`, which need not be running yet.
  BufferPool(Loop& loop, std::size_t count, std::size_t buffer_size);
  /// The pool of `loop` (or of the loop running on this thread) that sockets borrow from when
  /// their caller passes none (`TcpStream::receive()`): made on first use, with
  /// at most `shared_count` buffers of `shared_buffer_size` bytes (64 MiB, touched only as
  /// the traffic needs), and gone with the loop.
  [[nodiscard]] static BufferPool shared(Loop& loop);
  [[nodiscard]] static BufferPool shared();
  static constexpr std::size_t shared_count = 1024;
  static constexpr std::size_t shared_buffer_size = 64 * 1024;

  BufferPool(const BufferPool& other) noexcept;
  BufferPool& operator=(const BufferPool& other) noexcept;
  ~BufferPool();

  [[nodiscard]] std::size_t count() const noexcept;
  [[nodiscard]] std::size_t buffer_size() const noexcept;
  /// Buffers holding no chunk's bytes (held, or queued in a receiver), out of `count()`.
  [[nodiscard]] std::size_t available() const noexcept;
  /// Bytes of buffer memory put to use so far: the most the pool adds to the process's RSS.
  [[nodiscard]] std::size_t touched() const noexcept;
  /// True if chunks share buffers (every backend, except io_uring on kernels before 6.12 or
  /// with Loop::Options::io_uring_incremental_buffers off: one buffer per chunk there).
  [[nodiscard]] bool packs() const noexcept;

 private:
  friend class Receiver;
  detail::PoolState* state_;
};

}  // namespace tide::io
