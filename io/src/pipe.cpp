#include <tide/io/pipe.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tide::io {

Pipe::Pipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
    throw std::system_error(errno, std::system_category(), "tide::io::Pipe: pipe2");
  read_end_.reset(fds[0]);
  write_end_.reset(fds[1]);
}

Task<void> Pipe::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    std::size_t n = co_await write(data);
    data = data.subspan(n);
  }
}

Task<void> Pipe::read_exact(std::span<std::byte> buffer) {
  std::size_t got = 0;
  while (got < buffer.size()) {
    std::size_t n = co_await read(buffer.subspan(got));
    if (n == 0)
      throw std::runtime_error("tide::io::Pipe::read_exact: end of file after " +
                               std::to_string(got) + " of " + std::to_string(buffer.size()) +
                               " bytes");
    got += n;
  }
}

Task<std::string> Pipe::read_all() {
  std::string all;
  std::size_t n = 0;
  do {
    const std::size_t used = all.size();
    all.resize(used + 16384);
    n = co_await read(std::span(all.data() + used, 16384));
    all.resize(used + n);
  } while (n > 0);
  co_return all;
}

}  // namespace tide::io
