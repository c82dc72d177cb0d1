#pragma once

#include <utility>

namespace tide::io {

/// An owning file descriptor: closes it on destruction. Closing goes through the loops of this
/// thread first, so a backend never keeps watching a number the kernel will reuse.
/// Thread safety: like an int; closing it while another thread uses it is a bug.
class Fd {
 public:
  Fd() noexcept = default;
  /// Takes ownership of `fd` (-1 for none).
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current fd (if any) and owns `fd` instead.
  void reset(int fd = -1) noexcept;
  void close() noexcept { reset(); }

  /// A new owning descriptor for the same open file (F_DUPFD_CLOEXEC).
  /// Throws std::system_error.
  [[nodiscard]] Fd dup() const;

  /// Switches O_NONBLOCK on. Throws std::system_error.
  void set_nonblocking() const;

 private:
  int fd_ = -1;
};

}  // namespace tide::io

namespace tide {
using io::Fd;
}
