#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <system_error>

#include <tide/io/ops.hpp>
#include <tide/net/unix_datagram.hpp>
#include <tide/net/unix_listener.hpp>
#include <tide/net/unix_stream.hpp>

#include "net/src/system.hpp"

namespace tide::net {

namespace {

// The file a bind at `address` creates (none for an abstract name).
std::string file_of(const SocketAddress& address) {
  std::string path = address.host();
  return path.empty() || path.front() == '@' ? std::string() : path;
}

void remove_file(std::string& path) noexcept {
  if (!path.empty()) ::unlink(path.c_str());
  path.clear();
}

}  // namespace

// ---- UnixStream ----------------------------------------------------------------------------

Task<UnixStream> UnixStream::connect(std::string_view path) {
  return connect(SocketAddress::unix_path(path));
}

Task<UnixStream> UnixStream::connect(SocketAddress address) {
  const std::string what = "tide::net::UnixStream::connect to " + address.to_string();
  if (address.family() != SocketAddress::Family::unix_path)
    throw std::invalid_argument(what + ": not a Unix socket address");
  co_return UnixStream(co_await detail::connect_stream(std::move(address), what));
}

std::pair<UnixStream, UnixStream> socketpair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
    detail::throw_errno("tide::net::socketpair");
  return {UnixStream(io::Fd(fds[0])), UnixStream(io::Fd(fds[1]))};
}

// ---- UnixListener --------------------------------------------------------------------------

UnixListener::UnixListener(UnixListener&& other) noexcept
    : Listener(std::move(other)), unlink_path_(std::move(other.unlink_path_)) {
  other.unlink_path_.clear();
}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    close();
    Listener::operator=(std::move(other));
    unlink_path_ = std::move(other.unlink_path_);
    other.unlink_path_.clear();
  }
  return *this;
}

UnixListener UnixListener::bind(std::string_view path, ListenOptions options) {
  const std::string what = "tide::net::UnixListener::bind";
  const SocketAddress address = SocketAddress::unix_path(path);
  UnixListener listener(detail::open_socket(AF_UNIX, SOCK_STREAM, what));
  detail::bind_to(listener.native_handle(), address, what);
  listener.unlink_path_ = file_of(address);
  if (::listen(listener.native_handle(), options.backlog) != 0)
    detail::throw_errno(what + ": listen on " + address.to_string());
  return listener;
}

Task<UnixStream> UnixListener::accept() {
  co_return UnixStream(co_await accept_fd("tide::net::UnixListener"));
}

std::optional<UnixStream> UnixListener::try_accept() {
  auto fd = try_accept_fd("tide::net::UnixListener");
  if (!fd) return std::nullopt;
  return UnixStream(std::move(*fd));
}

void UnixListener::close() noexcept {
  close_listener();
  remove_file(unlink_path_);
}

// ---- UnixDatagram --------------------------------------------------------------------------

UnixDatagram::UnixDatagram(UnixDatagram&& other) noexcept
    : DatagramSocket(std::move(other)), unlink_path_(std::move(other.unlink_path_)) {
  other.unlink_path_.clear();
}

UnixDatagram& UnixDatagram::operator=(UnixDatagram&& other) noexcept {
  if (this != &other) {
    close();
    DatagramSocket::operator=(std::move(other));
    unlink_path_ = std::move(other.unlink_path_);
    other.unlink_path_.clear();
  }
  return *this;
}

UnixDatagram UnixDatagram::bind(std::string_view path) {
  const std::string what = "tide::net::UnixDatagram::bind";
  const SocketAddress address = SocketAddress::unix_path(path);
  UnixDatagram socket(detail::open_socket(AF_UNIX, SOCK_DGRAM, what));
  detail::bind_to(socket.native_handle(), address, what);
  socket.unlink_path_ = file_of(address);
  return socket;
}

UnixDatagram UnixDatagram::open() {
  return UnixDatagram(detail::open_socket(AF_UNIX, SOCK_DGRAM, "tide::net::UnixDatagram::open"));
}

std::pair<UnixDatagram, UnixDatagram> UnixDatagram::pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
    detail::throw_errno("tide::net::UnixDatagram::pair");
  return {UnixDatagram(io::Fd(fds[0])), UnixDatagram(io::Fd(fds[1]))};
}

void UnixDatagram::close() noexcept {
  DatagramSocket::close();
  remove_file(unlink_path_);
}

}  // namespace tide::net
