#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include <tide/core/task.hpp>
#include <tide/io/buffer_pool.hpp>
#include <tide/io/detail/io_awaiter.hpp>
#include <tide/io/receiver.hpp>
#include <tide/net/detail/socket.hpp>

namespace tide::net {

enum class ShutdownHow { read, write, both };

namespace detail {
struct StreamDeadline;
}

/// A connected byte stream: what TcpStream and UnixStream share, and what BufferedStream and
/// serve() handlers work on. Every awaiting member is awaited with `co_await` in a task and
/// with `tide::await` in a fibre.
///
/// Reading comes in two forms; use one of them on a stream, not both:
/// - `read_some(buffer)` / `read_exact(buffer)` into the caller's memory;
/// - `receive()`, which lends a Chunk from a pool when data arrives (the loop's shared
///   BufferPool unless the stream was given one), so a connection waiting for data holds no
///   buffer at all. On io_uring one multishot receive keeps the stream fed.
///
/// Errors arrive as std::system_error (ECONNRESET, EPIPE, ...); SIGPIPE never kills the
/// process. After `close()` every operation fails with EBADF; operations pending when
/// another task or fibre closes the stream end with EBADF, each exactly once.
/// Deadlines (`set_deadline`, `set_idle_timeout`) end pending and later operations with
/// tide::TimeoutError. Thread safety: on the loop thread that uses it.
class StreamSocket : public detail::Socket {
 public:
  using Clock = std::chrono::steady_clock;

  StreamSocket() noexcept;
  explicit StreamSocket(io::Fd fd) noexcept;
  StreamSocket(StreamSocket&&) noexcept;
  StreamSocket& operator=(StreamSocket&&) noexcept;
  ~StreamSocket();

  class ReadAwaiter;
  class WriteAwaiter;
  class ReceiveAwaiter;

  /// Reads what is there, up to `buffer.size()` bytes, waiting until something is: the count
  /// read, 0 once the peer has shut down its side.
  /// Cancellation: nothing is read; bytes that were read before it took effect are returned.
  [[nodiscard]] ReadAwaiter read_some(std::span<std::byte> buffer) noexcept;
  /// Fills `buffer` exactly. Throws EndOfStream (with the count read) if the stream ends first.
  /// Cancellation: bytes read before it stay in `buffer`; how many is lost with the task.
  [[nodiscard]] Task<void> read_exact(std::span<std::byte> buffer);
  /// Writes some of `data` (at least one byte), waiting for room: the count written.
  [[nodiscard]] WriteAwaiter write_some(std::span<const std::byte> data) noexcept;
  /// Writes all of `data`. Cancellation: part of it may have been written.
  [[nodiscard]] Task<void> write_all(std::span<const std::byte> data);
  [[nodiscard]] Task<void> write_all(std::string_view text);
  /// Without waiting (Python's `recv` on a non-blocking socket, for readiness-driven code such
  /// as a Selector callback): the count read, 0 once the peer has shut down its side, or
  /// nothing if no byte is there yet. Errors as read_some; UsageError on a stream read
  /// through `receive()` (its bytes may already be queued there).
  [[nodiscard]] std::optional<std::size_t> try_read_some(std::span<std::byte> buffer);
  /// Without waiting: the count written (at least one byte), or nothing if the socket's send
  /// buffer is full. Errors as write_some (EPIPE once the peer is gone; never SIGPIPE).
  [[nodiscard]] std::optional<std::size_t> try_write_some(std::span<const std::byte> data);
  [[nodiscard]] std::optional<std::size_t> try_write_some(std::string_view text) {
    return try_write_some(std::as_bytes(std::span(text)));
  }
  /// The next piece of the stream as it arrived, in a buffer lent by the pool; an empty chunk
  /// once the peer has shut down its side. Keep chunks only while their bytes are needed:
  /// dropping one gives its buffer back. Cancellation: nothing is taken; what arrives waits
  /// for the next `receive()`.
  [[nodiscard]] ReceiveAwaiter receive();
  /// Borrow receive buffers from `pool` rather than the loop's shared one (before the first
  /// `receive()`); `max_queued` bounds the chunks received ahead of the reader.
  void use_pool(const io::BufferPool& pool, std::size_t max_queued = 16);

  /// shutdown(2): `write` sends the peer an end of stream (it can still send to us).
  /// Throws std::system_error (ENOTCONN if never connected).
  void shutdown(ShutdownHow how);
  /// Closes the socket now; pending operations end with EBADF. Idempotent.
  void close() noexcept;
  /// The peer's address. Throws std::system_error (ENOTCONN).
  [[nodiscard]] SocketAddress peer_address() const;

  /// Operations still running at `deadline`, and any started after it, fail with
  /// tide::TimeoutError, and the connection is shut down (both ways). For a request header's
  /// deadline, say: set it when the connection starts, clear it once the header is read.
  void set_deadline(Clock::time_point deadline);
  template <class Rep, class Period>
  void set_deadline_after(std::chrono::duration<Rep, Period> delay) {
    set_deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(delay));
  }
  void clear_deadline() noexcept;
  /// As a deadline that moves to `timeout` after each read or write that moved bytes: a
  /// connection silent for that long fails (zero or negative: off).
  void set_idle_timeout(std::chrono::nanoseconds timeout);
  /// True once a deadline or the idle timeout ended the connection.
  [[nodiscard]] bool timed_out() const noexcept;

 protected:
  friend class ReadAwaiter;
  friend class WriteAwaiter;
  friend class ReceiveAwaiter;
  /// After an operation: counts activity for the idle timeout; throws TimeoutError if a
  /// deadline has passed.
  void after_io(bool moved_bytes) const;

 private:
  io::Receiver& receiver();

  std::optional<io::Receiver> receiver_;              // made by the first receive()
  std::unique_ptr<detail::StreamDeadline> deadline_;  // made by the first deadline
};

class StreamSocket::ReadAwaiter : public io::detail::IoAwaiter {
 public:
  ReadAwaiter(StreamSocket& s, const tide::detail::IoOp& op) noexcept : IoAwaiter(op), s_(&s) {}
  std::size_t await_resume() {
    std::size_t n;
    try {
      n = static_cast<std::size_t>(IoAwaiter::await_resume());
    } catch (const std::system_error&) {
      s_->after_io(false);  // a deadline that shut the socket says so, not ECONNRESET
      throw;
    }
    s_->after_io(n > 0);
    return n;
  }

 private:
  StreamSocket* s_;
};

class StreamSocket::WriteAwaiter : public io::detail::IoAwaiter {
 public:
  WriteAwaiter(StreamSocket& s, const tide::detail::IoOp& op) noexcept : IoAwaiter(op), s_(&s) {}
  std::size_t await_resume() {
    std::size_t n;
    try {
      n = static_cast<std::size_t>(IoAwaiter::await_resume());
    } catch (const std::system_error&) {
      s_->after_io(false);  // a deadline that shut the socket says so, not EPIPE
      throw;
    }
    s_->after_io(true);
    return n;
  }

 private:
  StreamSocket* s_;
};

class StreamSocket::ReceiveAwaiter : public io::Receiver::ReceiveAwaiter {
 public:
  ReceiveAwaiter(StreamSocket& s, io::Receiver::ReceiveAwaiter inner) noexcept
      : io::Receiver::ReceiveAwaiter(std::move(inner)), s_(&s) {}
  io::Chunk await_resume() {
    io::Chunk chunk = io::Receiver::ReceiveAwaiter::await_resume();
    s_->after_io(!chunk.empty());
    return chunk;
  }

 private:
  StreamSocket* s_;
};

}  // namespace tide::net
