#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/ops.hpp>

namespace tide::io {

/// A non-blocking pipe(2) with awaitable reads and writes: `os.pipe()` for tasks.
///
///     tide::io::Pipe pipe;
///     co_await pipe.write_all("ping");
///     std::array<std::byte, 64> buf;
///     std::size_t n = co_await pipe.read(buf);
///
/// Both ends are O_NONBLOCK and O_CLOEXEC. Hand one end to another process or thread with
/// `take_read_end()` / `take_write_end()`.
/// Cancellation: as every I/O operation (see io/ops.hpp); a cancelled read consumes nothing.
/// Thread safety: loop thread only.
class Pipe {
 public:
  /// Creates the pipe. Throws std::system_error (EMFILE, ...).
  Pipe();
  /// Adopts existing ends (either may be empty), which must be non-blocking: how a Process
  /// hands over the parent's end of a child's stdin or stdout.
  Pipe(Fd read_end, Fd write_end) noexcept
      : read_end_(std::move(read_end)), write_end_(std::move(write_end)) {}
  Pipe(Pipe&&) noexcept = default;
  Pipe& operator=(Pipe&&) noexcept = default;

  /// Reads what is available (at least one byte), waiting if the pipe is empty.
  /// Returns 0 once the write end is closed and the pipe drained.
  [[nodiscard]] detail::IoResult<std::size_t> read(std::span<std::byte> buffer) noexcept {
    return io::read(read_end_.get(), buffer);
  }
  [[nodiscard]] detail::IoResult<std::size_t> read(std::span<char> buffer) noexcept {
    return read(std::as_writable_bytes(buffer));
  }
  /// Writes some of `data`, waiting while the pipe is full; returns how much was written.
  /// Throws std::system_error (EPIPE once the read end is closed).
  [[nodiscard]] detail::IoResult<std::size_t> write(std::span<const std::byte> data) noexcept {
    return io::write(write_end_.get(), data);
  }
  [[nodiscard]] detail::IoResult<std::size_t> write(std::string_view text) noexcept {
    return write(std::as_bytes(std::span(text.data(), text.size())));
  }
  /// Writes all of `data` (the caller keeps it alive until the task completes).
  [[nodiscard]] Task<void> write_all(std::span<const std::byte> data);
  [[nodiscard]] Task<void> write_all(std::string_view text) {
    return write_all(std::as_bytes(std::span(text.data(), text.size())));
  }
  /// Reads exactly `buffer.size()` bytes. At an early end of file throws std::runtime_error
  /// naming how many bytes arrived.
  [[nodiscard]] Task<void> read_exact(std::span<std::byte> buffer);
  /// Reads until end of file (the write end closed everywhere) and returns all of it.
  [[nodiscard]] Task<std::string> read_all();

  void close_read() noexcept { read_end_.close(); }
  void close_write() noexcept { write_end_.close(); }

  [[nodiscard]] int read_fd() const noexcept { return read_end_.get(); }
  [[nodiscard]] int write_fd() const noexcept { return write_end_.get(); }
  [[nodiscard]] Fd take_read_end() noexcept { return std::move(read_end_); }
  [[nodiscard]] Fd take_write_end() noexcept { return std::move(write_end_); }

 private:
  Fd read_end_;
  Fd write_end_;
};

}  // namespace tide::io

namespace tide {
using io::Pipe;
}
