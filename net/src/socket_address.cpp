#include <tide/net/socket_address.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>
#include <ostream>
#include <stdexcept>

namespace tide::net {

namespace {

[[noreturn]] void bad(std::string_view text, const char* why) {
  throw std::invalid_argument("tide::net::SocketAddress: \"" + std::string(text) + "\": " + why);
}

std::uint16_t parse_port(std::string_view whole, std::string_view digits) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      value > 65535)
    bad(whole, "the port must be a number from 0 to 65535");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

SocketAddress SocketAddress::from_native(const void* native, std::uint32_t size) {
  SocketAddress a;
  if (size < sizeof(sa_family_t) || size > capacity)
    throw std::invalid_argument("tide::net::SocketAddress: a native address of " +
                                std::to_string(size) + " bytes");
  std::memcpy(a.storage_, native, size);
  a.size_ = size;
  sa_family_t family;
  std::memcpy(&family, native, sizeof family);
  switch (family) {
    case AF_INET:
      a.family_ = Family::ipv4;
      break;
    case AF_INET6:
      a.family_ = Family::ipv6;
      break;
    case AF_UNIX:
      a.family_ = Family::unix_path;
      break;
    default:
      throw std::invalid_argument("tide::net::SocketAddress: address family " +
                                  std::to_string(family) + " is not IPv4, IPv6 or Unix");
  }
  return a;
}

SocketAddress SocketAddress::ip(std::string_view host, std::uint16_t port) {
  std::string text(host);
  if (text.find(':') == std::string::npos) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    if (::inet_pton(AF_INET, text.c_str(), &in.sin_addr) != 1)
      bad(host, "not a numeric IPv4 address (names go through tide::net::resolve)");
    return from_native(&in, sizeof in);
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  if (auto percent = text.find('%'); percent != std::string::npos) {
    std::string scope = text.substr(percent + 1);
    text.resize(percent);
    unsigned index = ::if_nametoindex(scope.c_str());
    if (index == 0) {
      auto [end, error] = std::from_chars(scope.data(), scope.data() + scope.size(), index);
      if (scope.empty() || error != std::errc() || end != scope.data() + scope.size())
        bad(host, "unknown IPv6 scope (an interface name or number)");
    }
    in6.sin6_scope_id = index;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &in6.sin6_addr) != 1)
    bad(host, "not a numeric IPv6 address");
  return from_native(&in6, sizeof in6);
}

SocketAddress SocketAddress::loopback(std::uint16_t port, Family family) {
  if (family == Family::ipv6) return ip("::1", port);
  if (family != Family::ipv4)
    throw std::invalid_argument("tide::net::SocketAddress::loopback: IPv4 or IPv6 only");
  return ip("127.0.0.1", port);
}

SocketAddress SocketAddress::any(std::uint16_t port, Family family) {
  if (family == Family::ipv6) return ip("::", port);
  if (family != Family::ipv4)
    throw std::invalid_argument("tide::net::SocketAddress::any: IPv4 or IPv6 only");
  return ip("0.0.0.0", port);
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (path.empty()) bad(path, "an empty Unix socket path");
  if (path.size() >= sizeof un.sun_path)
    bad(path, "longer than a Unix socket path may be (107 bytes)");
  if (path.find('\0') != std::string_view::npos) bad(path, "a Unix socket path with a NUL byte");
  std::memcpy(un.sun_path, path.data(), path.size());
  std::uint32_t size = offsetof(sockaddr_un, sun_path) + path.size();
  if (path.front() == '@')
    un.sun_path[0] = '\0';  // abstract: the name is the bytes after the NUL, no terminator
  else
    size += 1;  // the terminating NUL
  return from_native(&un, size);
}

SocketAddress SocketAddress::parse(std::string_view text) {
  if (text.empty()) bad(text, "empty");
  if (text.front() == '@' || text.find('/') != std::string_view::npos) return unix_path(text);
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      bad(text, "an IPv6 address is written [host]:port");
    return ip(text.substr(1, close - 1), parse_port(text, text.substr(close + 2)));
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) bad(text, "no port (host:port)");
  if (text.find(':') != colon) bad(text, "an IPv6 address is written [host]:port");
  return ip(text.substr(0, colon), parse_port(text, text.substr(colon + 1)));
}

std::uint16_t SocketAddress::port() const noexcept {
  if (family_ == Family::ipv4)
    return ntohs(reinterpret_cast<const sockaddr_in*>(storage_)->sin_port);
  if (family_ == Family::ipv6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(storage_)->sin6_port);
  return 0;
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const {
  SocketAddress a = *this;
  if (family_ == Family::ipv4)
    reinterpret_cast<sockaddr_in*>(a.storage_)->sin_port = htons(port);
  else if (family_ == Family::ipv6)
    reinterpret_cast<sockaddr_in6*>(a.storage_)->sin6_port = htons(port);
  else
    throw std::invalid_argument("tide::net::SocketAddress::with_port: " + to_string() +
                                " is not an IP address");
  return a;
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  switch (family_) {
    case Family::ipv4:
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(storage_)->sin_addr, text,
                  sizeof text);
      return text;
    case Family::ipv6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(storage_);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      std::string out = text;
      if (in6->sin6_scope_id != 0) {
        out += '%';
        out += std::to_string(in6->sin6_scope_id);
      }
      return out;
    }
    case Family::unix_path: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(storage_);
      std::size_t length = size_ - offsetof(sockaddr_un, sun_path);
      if (length == 0) return {};     // unnamed (a socketpair end, an unbound client)
      if (un->sun_path[0] == '\0') {  // abstract: shown as @name
        std::string name(length, '@');
        name.replace(1, length - 1, un->sun_path + 1, length - 1);
        return name;
      }
      return std::string(un->sun_path, ::strnlen(un->sun_path, length));
    }
    case Family::none:
      break;
  }
  return {};
}

std::string SocketAddress::to_string() const {
  switch (family_) {
    case Family::ipv4:
    case Family::ipv6: {
      // Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict for "[" + host().
      const bool v6 = family_ == Family::ipv6;
      std::string text;
      if (v6) text += '[';
      text += host();
      if (v6) text += ']';
      text += ':';
      text += std::to_string(port());
      return text;
    }
    case Family::unix_path: {
      std::string path = host();
      return path.empty() ? "(unnamed)" : path;
    }
    case Family::none:
      break;
  }
  return "(none)";
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
  return a.size_ == b.size_ && std::memcmp(a.storage_, b.storage_, a.size_) == 0;
}

std::ostream& operator<<(std::ostream& out, const SocketAddress& address) {
  return out << address.to_string();
}

}  // namespace tide::net
