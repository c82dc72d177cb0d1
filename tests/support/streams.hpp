#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include <tide/core/task.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/receiver.hpp>

// Tasks that move a whole byte stream, for tests of the I/O layer.
namespace tide::testing {

/// Sends `data` in pieces of at most `piece` bytes, then shuts down the writing side.
inline Task<void> send_all(int fd, std::string data, std::size_t piece) {
  std::size_t at = 0;
  while (at < data.size()) {
    std::size_t n = std::min(piece, data.size() - at);
    at += co_await io::send(fd, std::as_bytes(std::span(data.data() + at, n)));
  }
  ::shutdown(fd, SHUT_WR);
}

/// Everything `in` receives until the end of the stream.
inline Task<std::string> receive_all(io::Receiver& in) {
  std::string got;
  for (;;) {
    io::Chunk c = co_await in.receive();
    if (c.empty()) break;
    got += c.text();
  }
  co_return got;
}

}  // namespace tide::testing
