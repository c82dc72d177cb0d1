#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace tide::net {

/// The address of a socket's end: IPv4 (`127.0.0.1:8080`), IPv6 (`[::1]:8080`, with an
/// optional `%scope`), or a Unix socket path (`/run/app.sock`; `@name` for Linux's abstract
/// namespace). Parsed from and printed as that text; `resolve()` builds them from host names.
/// A small value type (136 bytes), copyable, comparable; no system header needed to use it.
///
///     auto a = tide::net::SocketAddress::parse("127.0.0.1:8080");
///     auto b = tide::net::SocketAddress::loopback(8080);   // the same
///     std::cout << a.with_port(9090);                      // 127.0.0.1:9090
class SocketAddress {
 public:
  enum class Family : std::uint8_t { none, ipv4, ipv6, unix_path };

  /// No address (family `none`).
  SocketAddress() noexcept = default;

  /// Parses `host:port` for IPv4, `[host]:port` for IPv6, a path containing a `/` or an
  /// `@name` for Unix sockets. Only numeric hosts: names go through `resolve()`.
  /// Throws std::invalid_argument naming the text and what is wrong with it.
  [[nodiscard]] static SocketAddress parse(std::string_view text);
  /// A numeric IPv4 or IPv6 host (`"10.0.0.1"`, `"::1"`, no brackets) and a port.
  /// Throws std::invalid_argument.
  [[nodiscard]] static SocketAddress ip(std::string_view host, std::uint16_t port);
  /// 127.0.0.1 (or ::1) at `port`.
  [[nodiscard]] static SocketAddress loopback(std::uint16_t port, Family family = Family::ipv4);
  /// The wildcard address 0.0.0.0 (or ::) at `port`, to listen on every interface.
  [[nodiscard]] static SocketAddress any(std::uint16_t port, Family family = Family::ipv4);
  /// A Unix socket path; a leading `@` names the abstract namespace. Throws
  /// std::invalid_argument if it is empty or longer than the system allows (107 bytes).
  [[nodiscard]] static SocketAddress unix_path(std::string_view path);

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] bool is_ip() const noexcept {
    return family_ == Family::ipv4 || family_ == Family::ipv6;
  }
  /// The port (IP only; 0 otherwise).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// A copy with another port. Throws std::invalid_argument if this is not an IP address.
  [[nodiscard]] SocketAddress with_port(std::uint16_t port) const;
  /// The host part as text (`127.0.0.1`, `::1`), or the path of a Unix address.
  [[nodiscard]] std::string host() const;
  /// The text `parse` reads back: `127.0.0.1:80`, `[::1]:80`, `/path`, `@name`; `(none)`.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;
  friend std::ostream& operator<<(std::ostream& out, const SocketAddress& address);

  // ---- for net's sources (and code that calls the system directly) ------------------------
  /// The system's `sockaddr` bytes and their length.
  [[nodiscard]] const void* data() const noexcept { return storage_; }
  [[nodiscard]] void* data() noexcept { return storage_; }
  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  static constexpr std::size_t capacity = 128;  // sizeof(sockaddr_storage)
  /// Adopts `size` bytes of a `sockaddr` (from accept, recvfrom, getsockname...).
  /// Throws std::invalid_argument for a family it does not know.
  [[nodiscard]] static SocketAddress from_native(const void* sockaddr, std::uint32_t size);

 private:
  alignas(8) unsigned char storage_[capacity] = {};
  std::uint32_t size_ = 0;
  Family family_ = Family::none;
};

}  // namespace tide::net

namespace tide {
using net::SocketAddress;
}
