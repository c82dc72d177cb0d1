#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tide/net/detail/datagram_socket.hpp>

namespace tide::net {

/// A Unix datagram socket: messages keep their boundaries and, unlike UDP, are never
/// dropped or reordered (a full receiver makes the sender wait).
class UnixDatagram : public detail::DatagramSocket {
 public:
  UnixDatagram() noexcept = default;
  UnixDatagram(UnixDatagram&& other) noexcept;
  UnixDatagram& operator=(UnixDatagram&& other) noexcept;
  ~UnixDatagram() { close(); }

  /// Bound at `path` (removed again when closed). Throws std::system_error naming the path.
  [[nodiscard]] static UnixDatagram bind(std::string_view path);
  /// Unbound (it can send, and receive replies only in connected pairs).
  [[nodiscard]] static UnixDatagram open();
  /// Two connected ends (socketpair(2)).
  [[nodiscard]] static std::pair<UnixDatagram, UnixDatagram> pair();

  /// Closes the socket and removes the file `bind` created. Idempotent.
  void close() noexcept;

 private:
  using detail::DatagramSocket::DatagramSocket;
  std::string unlink_path_;
};

}  // namespace tide::net

namespace tide {
using net::UnixDatagram;
}
