#include <tide/io/fd.hpp>

#include <fcntl.h>

#include <cerrno>
#include <string>
#include <system_error>

#include <tide/core/detail/loop_core.hpp>

namespace tide::io {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) tide::detail::close_fd(fd_);
  fd_ = fd;
}

Fd Fd::dup() const {
  int copy = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    throw std::system_error(errno, std::system_category(),
                            "tide::io::Fd::dup of fd " + std::to_string(fd_));
  return Fd(copy);
}

void Fd::set_nonblocking() const {
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0)
    throw std::system_error(errno, std::system_category(),
                            "tide::io::Fd::set_nonblocking of fd " + std::to_string(fd_));
}

}  // namespace tide::io
