#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <tide/io/buffer_pool.hpp>
#include <tide/io/detail/result_stream.hpp>

namespace tide::io {

/// Receives a stream socket's (or pipe's) bytes as Chunks, in arrival order, from buffers of
/// a BufferPool. On io_uring one multishot recv keeps filling buffers as data arrives (up to
/// `max_queued` chunks ahead of the reader); on epoll and poll each `receive` that finds
/// nothing queued does one recv(2). Either way the chunks and their order are the same.
///
///     tide::io::Receiver in(fd, pool);
///     for (;;) {
///       tide::io::Chunk chunk = co_await in.receive();
///       if (chunk.empty()) break;                 // the peer closed its side
///       consume(chunk.bytes());                   // the buffer returns when chunk goes
///     }
///
/// The fd stays the caller's and must outlive the Receiver. Errors (ECONNRESET, ...) are
/// thrown as std::system_error by the `receive` that reaches them; chunks that arrived before
/// the error come first. Cancellation: a cancelled `receive` takes nothing; what arrives is
/// kept for the next one. Thread safety: loop thread only.
class Receiver {
 public:
  /// Reads `fd` into `pool`'s buffers (on the pool's loop). `max_queued` (at least 1) bounds
  /// the chunks received ahead of the reader.
  Receiver(int fd, const BufferPool& pool, std::size_t max_queued = 16);
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&&) noexcept = default;
  ~Receiver();

  class ReceiveAwaiter : public detail::ResultStream::Awaiter {
   public:
    using Awaiter::Awaiter;
    /// The next chunk; an empty one at the end of the stream.
    Chunk await_resume();
  };
  /// Waits for the next chunk (an empty one once the peer has shut down its side).
  [[nodiscard]] ReceiveAwaiter receive() noexcept { return ReceiveAwaiter(*stream_); }

  [[nodiscard]] int fd() const noexcept { return stream_->fd(); }
  /// Chunks received and not yet claimed.
  [[nodiscard]] std::size_t queued() const noexcept { return stream_->queued(); }
  /// True if the backend receives with one multishot operation (io_uring).
  [[nodiscard]] bool multishot() const noexcept { return stream_->multishot(); }
  /// How many receive operations were started (with multishot: once, plus once each time the
  /// kernel ended one). For tests and diagnostics.
  [[nodiscard]] std::uint64_t arms() const noexcept { return stream_->arms(); }

 private:
  std::unique_ptr<detail::ResultStream> stream_;
};

}  // namespace tide::io
