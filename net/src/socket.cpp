#include <tide/net/detail/socket.hpp>

#include <sys/socket.h>
#include <sys/types.h>

#include <string>

#include <tide/core/errors.hpp>
#include <tide/io/ops.hpp>

#include "net/src/system.hpp"

namespace tide::net::detail {

io::Fd open_socket(int family, int type, const std::string& what) {
  io::Fd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno(what + ": socket");
  return fd;
}

void bind_to(int fd, const SocketAddress& address, const std::string& what) {
  if (::bind(fd, static_cast<const sockaddr*>(address.data()), address.size()) != 0)
    throw_errno(what + ": bind to " + address.to_string());
}

Task<io::Fd> connect_stream(SocketAddress address, std::string what) {
  io::Fd fd = open_socket(native_family(address.family()), SOCK_STREAM, what);
  std::error_code failure;
  try {
    co_await io::connect(fd.get(), static_cast<const sockaddr*>(address.data()), address.size());
  } catch (const std::system_error& e) {
    failure = e.code();  // rethrown below, naming the address
  }
  if (failure) throw std::system_error(failure, what);
  co_return fd;
}

SocketAddress local_address_of(int fd) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0)
    throw_errno("tide::net: getsockname of fd " + std::to_string(fd));
  return SocketAddress::from_native(&storage, size);
}

SocketAddress peer_address_of(int fd) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0)
    throw_errno("tide::net: getpeername of fd " + std::to_string(fd));
  return SocketAddress::from_native(&storage, size);
}

SocketAddress Socket::local_address() const {
  return local_address_of(fd_.get());
}

void Socket::check_open(const char* type, const char* what) const {
  if (!fd_) throw UsageError(std::string(type) + "::" + what + ": the socket is closed");
}

void Socket::set_option(int level, int name, int value, const char* what) const {
  if (::setsockopt(fd_.get(), level, name, &value, sizeof value) != 0)
    throw_errno(std::string("tide::net: setting ") + what + " on fd " + std::to_string(fd_.get()));
}

int Socket::get_option(int level, int name, const char* what) const {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(fd_.get(), level, name, &value, &size) != 0)
    throw_errno(std::string("tide::net: reading ") + what + " of fd " + std::to_string(fd_.get()));
  return value;
}

}  // namespace tide::net::detail
