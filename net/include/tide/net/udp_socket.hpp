#pragma once

#include <tide/net/detail/datagram_socket.hpp>
#include <tide/net/socket_address.hpp>

namespace tide::net {

/// A UDP socket: `send_to` / `recv_from`, or after `connect(peer)` `send` / `recv`.
///
///     auto udp = tide::net::UdpSocket::bind(SocketAddress::loopback(0));
///     std::byte buffer[1500];
///     auto d = co_await udp.recv_from(buffer);
///     co_await udp.send_to(std::span(buffer, d.size), d.from);
class UdpSocket : public detail::DatagramSocket {
 public:
  UdpSocket() noexcept = default;

  /// A socket bound to `address` (port 0: any free port). `reuse_address` sets SO_REUSEADDR,
  /// `reuse_port` SO_REUSEPORT. Throws std::system_error naming the address.
  [[nodiscard]] static UdpSocket bind(const SocketAddress& address, bool reuse_address = false,
                                      bool reuse_port = false);
  /// An unbound socket of `family` (the kernel binds it on its first send).
  [[nodiscard]] static UdpSocket open(SocketAddress::Family family = SocketAddress::Family::ipv4);
  /// A socket connected to `peer` (connected mode from the start).
  [[nodiscard]] static UdpSocket connect_to(const SocketAddress& peer);

  /// SO_BROADCAST.
  void set_broadcast(bool on);

 private:
  using detail::DatagramSocket::DatagramSocket;
};

}  // namespace tide::net

namespace tide {
using net::UdpSocket;
}
