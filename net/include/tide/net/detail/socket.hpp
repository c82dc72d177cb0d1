#pragma once

#include <tide/io/fd.hpp>
#include <tide/net/socket_address.hpp>

namespace tide::net::detail {

/// What every socket type shares: the owned descriptor, its addresses and closing.
class Socket {
 public:
  Socket() noexcept = default;
  explicit Socket(io::Fd fd) noexcept : fd_(std::move(fd)) {}

  /// The system's descriptor (-1 once closed), for options tide does not wrap.
  [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
  [[nodiscard]] bool is_open() const noexcept { return fd_.valid(); }
  /// The address this end is bound to. Throws std::system_error.
  [[nodiscard]] SocketAddress local_address() const;

 protected:
  /// Throws tide::UsageError naming `type` and `what` if the socket is closed.
  void check_open(const char* type, const char* what) const;
  /// setsockopt of an int option. Throws std::system_error naming `what`.
  void set_option(int level, int name, int value, const char* what) const;
  [[nodiscard]] int get_option(int level, int name, const char* what) const;

  io::Fd fd_;
};

}  // namespace tide::net::detail
