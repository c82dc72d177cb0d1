#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <tide/core/task.hpp>
#include <tide/net/stream_socket.hpp>

namespace tide::net {

/// Line- and delimiter-oriented reading, and buffered writing, over a StreamSocket (which
/// must outlive it). Python's `asyncio.StreamReader.readline/readuntil` and a writer's
/// buffer, for tasks (`co_await`) and fibres (`tide::await`).
///
///     tide::net::BufferedStream io(stream);
///     while (true) {
///       std::string line = co_await io.read_line();   // "" at the end of the stream
///       if (line.empty()) break;
///       co_await io.write(line);
///     }
///     co_await io.flush();
///
/// Every read takes from the buffer first, then reads the stream in pieces of up to
/// `read_size` bytes. A delimited read never buffers more than its `max` (plus one piece):
/// a peer that never sends the delimiter gets MessageTooLong, not unbounded memory.
/// Cancellation: bytes read stay buffered for the next read; written bytes not yet flushed
/// stay in the write buffer. Thread safety: on the stream's loop thread.
class BufferedStream {
 public:
  static constexpr std::size_t default_max = 64 * 1024;

  explicit BufferedStream(StreamSocket& stream, std::size_t read_size = 16 * 1024,
                          std::size_t write_limit = 64 * 1024);

  /// The next line, with its "\n". At the end of the stream: what is left (no "\n"), then "".
  /// Throws MessageTooLong when no "\n" comes within `max` bytes.
  [[nodiscard]] Task<std::string> read_line(std::size_t max = default_max);
  /// Everything up to and including `delimiter`. Throws MessageTooLong when it does not
  /// come within `max` bytes, EndOfStream (carrying what was read) when the stream ends first.
  [[nodiscard]] Task<std::string> read_until(std::string delimiter, std::size_t max = default_max);
  /// Exactly `n` bytes. Throws EndOfStream (carrying what was read) when the stream ends first.
  [[nodiscard]] Task<std::string> read_exactly(std::size_t n);
  /// Up to `buffer.size()` bytes: buffered ones first, else one read of the stream; 0 at the
  /// end of the stream.
  [[nodiscard]] Task<std::size_t> read_some(std::span<std::byte> buffer);
  /// Bytes read from the stream and not yet returned.
  [[nodiscard]] std::size_t buffered() const noexcept { return in_.size() - start_; }

  /// Adds `data` to the write buffer; writes the buffer out once it holds `write_limit` bytes.
  [[nodiscard]] Task<void> write(std::string_view data);
  [[nodiscard]] Task<void> write(std::span<const std::byte> data);
  /// Writes out everything buffered.
  [[nodiscard]] Task<void> flush();
  /// Bytes written and not yet flushed.
  [[nodiscard]] std::size_t unflushed() const noexcept { return out_.size(); }

  [[nodiscard]] StreamSocket& stream() const noexcept { return *stream_; }

 private:
  Task<bool> fill();  // one read of the stream into the buffer; false at the end
  std::string take(std::size_t n);
  void drop(std::size_t n) noexcept;
  void compact();

  StreamSocket* stream_;
  std::size_t read_size_;
  std::size_t write_limit_;
  std::string in_;  // in_[start_..] is buffered input
  std::size_t start_ = 0;
  std::string out_;
};

}  // namespace tide::net

namespace tide {
using net::BufferedStream;
}
