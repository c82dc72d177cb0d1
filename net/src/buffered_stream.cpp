#include <tide/net/buffered_stream.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

#include <tide/net/errors.hpp>

namespace tide::net {

BufferedStream::BufferedStream(StreamSocket& stream, std::size_t read_size, std::size_t write_limit)
    : stream_(&stream),
      read_size_(std::max<std::size_t>(read_size, 1)),
      write_limit_(write_limit) {}

void BufferedStream::compact() {
  if (start_ == 0) return;
  in_.erase(0, start_);
  start_ = 0;
}

void BufferedStream::drop(std::size_t n) noexcept {
  start_ += n;
  if (start_ == in_.size()) {
    in_.clear();
    start_ = 0;
  }
}

std::string BufferedStream::take(std::size_t n) {
  std::string out = in_.substr(start_, n);
  drop(n);
  return out;
}

Task<bool> BufferedStream::fill() {
  compact();
  const std::size_t old = in_.size();
  in_.resize(old + read_size_);
  std::size_t n = 0;
  try {
    n = co_await stream_->read_some(
        std::as_writable_bytes(std::span(in_.data() + old, read_size_)));
  } catch (...) {
    in_.resize(old);  // nothing landed; keep what was buffered
    throw;
  }
  in_.resize(old + n);
  co_return n > 0;
}

Task<std::string> BufferedStream::read_line(std::size_t max) {
  std::string last;
  try {
    co_return co_await read_until("\n", max);
  } catch (const EndOfStream& e) {
    last = e.partial();  // the last line had no "\n" (or nothing was left)
  }
  co_return last;
}

Task<std::string> BufferedStream::read_until(std::string delimiter, std::size_t max) {
  if (delimiter.empty())
    throw std::invalid_argument("tide::net::BufferedStream::read_until: an empty delimiter");
  std::size_t scanned = 0;  // bytes already searched, less a delimiter's overlap
  for (;;) {
    const std::string_view data(in_.data() + start_, buffered());
    const auto at = data.find(delimiter, scanned);
    if (at != std::string_view::npos) {
      const std::size_t length = at + delimiter.size();
      if (length > max) break;
      co_return take(length);
    }
    if (data.size() >= max + delimiter.size()) break;
    scanned = data.size() >= delimiter.size() ? data.size() - delimiter.size() + 1 : 0;
    // Named first: g++ 12 can drop the body of a coroutine with `if (co_await x)` (docs/guide).
    const bool filled = co_await fill();
    if (!filled) {
      const std::size_t n = buffered();
      throw EndOfStream("tide::net::BufferedStream::read_until: the stream ended after " +
                            std::to_string(n) + " bytes without the delimiter",
                        n, take(n));
    }
  }
  throw MessageTooLong("tide::net::BufferedStream::read_until: no delimiter within " +
                       std::to_string(max) + " bytes");
}

Task<std::string> BufferedStream::read_exactly(std::size_t n) {
  while (buffered() < n) {
    const bool filled = co_await fill();
    if (!filled) {
      const std::size_t got = buffered();
      throw EndOfStream("tide::net::BufferedStream::read_exactly: the stream ended after " +
                            std::to_string(got) + " of " + std::to_string(n) + " bytes",
                        got, take(got));
    }
  }
  co_return take(n);
}

Task<std::size_t> BufferedStream::read_some(std::span<std::byte> buffer) {
  if (buffered() == 0) {
    if (buffer.size() >= read_size_) co_return co_await stream_->read_some(buffer);  // no copy
    const bool filled = co_await fill();
    if (!filled) co_return 0;
  }
  const std::size_t n = std::min(buffer.size(), buffered());
  std::copy_n(reinterpret_cast<const std::byte*>(in_.data() + start_), n, buffer.data());
  drop(n);
  co_return n;
}

Task<void> BufferedStream::write(std::string_view data) {
  out_.append(data);
  if (out_.size() >= write_limit_) co_await flush();
}

Task<void> BufferedStream::write(std::span<const std::byte> data) {
  return write(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Task<void> BufferedStream::flush() {
  while (!out_.empty()) {
    const std::size_t n = co_await stream_->write_some(std::as_bytes(std::span(out_)));
    out_.erase(0, n);
  }
}

}  // namespace tide::net
