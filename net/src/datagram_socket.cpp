#include <tide/net/detail/datagram_socket.hpp>

#include <sys/socket.h>

#include <optional>
#include <string>
#include <system_error>

#include <tide/io/ops.hpp>
#include <tide/net/udp_socket.hpp>

#include "net/src/system.hpp"

namespace tide::net {

namespace detail {

namespace {
std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// The msghdr of one datagram going to `to` (which must outlive it).
struct Outgoing {
  Outgoing(std::span<const std::byte> data, const SocketAddress& to)
      : piece{const_cast<std::byte*>(data.data()), data.size()} {  // only read from
    message.msg_name = const_cast<void*>(to.data());
    message.msg_namelen = to.size();
    message.msg_iov = &piece;
    message.msg_iovlen = 1;
  }
  Outgoing(const Outgoing&) = delete;  // the message points into the object
  Outgoing& operator=(const Outgoing&) = delete;
  iovec piece;
  msghdr message{};
};

// The msghdr of one datagram coming into `buffer`, with room for the sender's address.
struct Incoming {
  explicit Incoming(std::span<std::byte> buffer) : piece{buffer.data(), buffer.size()} {
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &piece;
    message.msg_iovlen = 1;
  }
  Incoming(const Incoming&) = delete;
  Incoming& operator=(const Incoming&) = delete;
  // What recvmsg reported, once it has returned `size`.
  [[nodiscard]] Datagram received(std::size_t size) const {
    Datagram datagram;
    datagram.size = size;
    datagram.truncated = (message.msg_flags & MSG_TRUNC) != 0;
    if (message.msg_namelen > 0)
      datagram.from = SocketAddress::from_native(&from, message.msg_namelen);
    return datagram;
  }
  sockaddr_storage from{};
  iovec piece;
  msghdr message{};
};
}  // namespace

Task<std::size_t> DatagramSocket::send_to(std::span<const std::byte> data, SocketAddress to) {
  Outgoing datagram(data, to);
  co_return co_await io::sendmsg(fd_.get(), datagram.message);
}

Task<std::size_t> DatagramSocket::send_to(std::string_view text, SocketAddress to) {
  return send_to(bytes_of(text), std::move(to));
}

Task<Datagram> DatagramSocket::recv_from(std::span<std::byte> buffer) {
  Incoming datagram(buffer);
  const std::size_t size = co_await io::recvmsg(fd_.get(), datagram.message);
  co_return datagram.received(size);
}

std::optional<Datagram> DatagramSocket::try_recv_from(std::span<std::byte> buffer) {
  Incoming datagram(buffer);
  const int fd = fd_.get();
  const auto size = unless_it_would_block("DatagramSocket::try_recv_from", fd, [&] {
    return ::recvmsg(fd, &datagram.message, MSG_DONTWAIT);
  });
  if (!size) return std::nullopt;
  return datagram.received(*size);
}

std::optional<std::size_t> DatagramSocket::try_send_to(std::span<const std::byte> data,
                                                       const SocketAddress& to) {
  Outgoing datagram(data, to);
  const int fd = fd_.get();
  return unless_it_would_block("DatagramSocket::try_send_to", fd, [&] {
    return ::sendmsg(fd, &datagram.message, MSG_DONTWAIT | MSG_NOSIGNAL);
  });
}

std::optional<std::size_t> DatagramSocket::try_send_to(std::string_view text,
                                                       const SocketAddress& to) {
  return try_send_to(bytes_of(text), to);
}

void DatagramSocket::connect(const SocketAddress& peer) {
  if (::connect(fd_.get(), static_cast<const sockaddr*>(peer.data()), peer.size()) != 0)
    throw_errno("tide::net: connecting a datagram socket to " + peer.to_string());
}

Task<std::size_t> DatagramSocket::send(std::span<const std::byte> data) {
  co_return co_await io::send(fd_.get(), data);
}

Task<std::size_t> DatagramSocket::send(std::string_view text) {
  return send(bytes_of(text));
}

Task<std::size_t> DatagramSocket::recv(std::span<std::byte> buffer) {
  co_return co_await io::recv(fd_.get(), buffer);
}

SocketAddress DatagramSocket::peer_address() const {
  return peer_address_of(fd_.get());
}

}  // namespace detail

// ---- UdpSocket -----------------------------------------------------------------------------

UdpSocket UdpSocket::bind(const SocketAddress& address, bool reuse_address, bool reuse_port) {
  const std::string what = "tide::net::UdpSocket::bind";
  if (!address.is_ip())
    throw std::invalid_argument(what + ": " + address.to_string() + " is not an IP address");
  UdpSocket socket(detail::open_socket(detail::native_family(address.family()), SOCK_DGRAM, what));
  if (reuse_address) socket.set_option(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (reuse_port) socket.set_option(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  detail::bind_to(socket.native_handle(), address, what);
  return socket;
}

UdpSocket UdpSocket::open(SocketAddress::Family family) {
  if (family != SocketAddress::Family::ipv4 && family != SocketAddress::Family::ipv6)
    throw std::invalid_argument("tide::net::UdpSocket::open: IPv4 or IPv6 only");
  return UdpSocket(
      detail::open_socket(detail::native_family(family), SOCK_DGRAM, "tide::net::UdpSocket::open"));
}

UdpSocket UdpSocket::connect_to(const SocketAddress& peer) {
  UdpSocket socket = open(peer.family());
  socket.connect(peer);
  return socket;
}

void UdpSocket::set_broadcast(bool on) {
  set_option(SOL_SOCKET, SO_BROADCAST, on ? 1 : 0, "SO_BROADCAST");
}

}  // namespace tide::net
