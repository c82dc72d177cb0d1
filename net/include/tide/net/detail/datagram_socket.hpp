#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include <tide/core/task.hpp>
#include <tide/net/detail/socket.hpp>
#include <tide/net/socket_address.hpp>

namespace tide::net {

/// One datagram received by `recv_from`.
struct Datagram {
  std::size_t size = 0;    // bytes placed in the buffer
  SocketAddress from;      // the sender
  bool truncated = false;  // the datagram was larger than the buffer: the rest is lost
};

namespace detail {

/// What UdpSocket and UnixDatagram share. Every awaiting member is awaited with `co_await`
/// in a task and `tide::await` in a fibre; errors are std::system_error.
/// Cancellation: a datagram is sent whole or not at all, and one received before the
/// cancellation took effect is returned.
class DatagramSocket : public Socket {
 public:
  using Socket::Socket;

  /// Sends `data` as one datagram to `to`: its size.
  [[nodiscard]] Task<std::size_t> send_to(std::span<const std::byte> data, SocketAddress to);
  [[nodiscard]] Task<std::size_t> send_to(std::string_view text, SocketAddress to);
  /// Receives one datagram into `buffer`.
  [[nodiscard]] Task<Datagram> recv_from(std::span<std::byte> buffer);
  /// Without waiting (for code driven by readiness, such as a Selector callback): one
  /// datagram, or nothing if none is queued. Errors as `recv_from`.
  [[nodiscard]] std::optional<Datagram> try_recv_from(std::span<std::byte> buffer);
  /// Without waiting: sends `data` as one datagram to `to` (its size), or nothing if the
  /// socket's send buffer has no room for it. Errors as `send_to`.
  [[nodiscard]] std::optional<std::size_t> try_send_to(std::span<const std::byte> data,
                                                       const SocketAddress& to);
  [[nodiscard]] std::optional<std::size_t> try_send_to(std::string_view text,
                                                       const SocketAddress& to);

  /// Connected mode: datagrams go to and come only from `peer`. Throws std::system_error.
  void connect(const SocketAddress& peer);
  /// Connected mode: sends to / receives from the peer.
  [[nodiscard]] Task<std::size_t> send(std::span<const std::byte> data);
  [[nodiscard]] Task<std::size_t> send(std::string_view text);
  [[nodiscard]] Task<std::size_t> recv(std::span<std::byte> buffer);
  /// The connected peer. Throws std::system_error (ENOTCONN).
  [[nodiscard]] SocketAddress peer_address() const;

  void close() noexcept { fd_.close(); }
};

}  // namespace detail
}  // namespace tide::net
