#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>
#include <system_error>

#include <tide/io/ops.hpp>
#include <tide/net/errors.hpp>
#include <tide/net/resolve.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>

#include "net/src/system.hpp"

namespace tide::net {

TcpListener TcpListener::bind(const SocketAddress& address, ListenOptions options) {
  const std::string what = "tide::net::TcpListener::bind";
  if (!address.is_ip())
    throw std::invalid_argument(what + ": " + address.to_string() + " is not an IP address");
  io::Fd fd = detail::open_socket(detail::native_family(address.family()), SOCK_STREAM, what);
  TcpListener listener(std::move(fd));
  if (options.reuse_address) listener.set_option(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (options.reuse_port) listener.set_option(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  if (address.family() == SocketAddress::Family::ipv6)
    listener.set_option(IPPROTO_IPV6, IPV6_V6ONLY, options.v6_only ? 1 : 0, "IPV6_V6ONLY");
  detail::bind_to(listener.native_handle(), address, what);
  if (::listen(listener.native_handle(), options.backlog) != 0)
    detail::throw_errno(what + ": listen on " + address.to_string());
  return listener;
}

Task<TcpStream> TcpListener::accept() {
  co_return TcpStream(co_await accept_fd("tide::net::TcpListener"));
}

std::optional<TcpStream> TcpListener::try_accept() {
  auto fd = try_accept_fd("tide::net::TcpListener");
  if (!fd) return std::nullopt;
  return TcpStream(std::move(*fd));
}

Task<TcpStream> TcpStream::connect(SocketAddress address) {
  const std::string what = "tide::net::TcpStream::connect to " + address.to_string();
  if (!address.is_ip()) throw std::invalid_argument(what + ": not an IP address");
  co_return TcpStream(co_await detail::connect_stream(std::move(address), what));
}

Task<TcpStream> TcpStream::connect(std::string host, std::string service) {
  const auto addresses = co_await resolve(host, service);
  std::exception_ptr last;
  for (const SocketAddress& address : addresses) {
    try {
      co_return co_await connect(address);
    } catch (const std::system_error&) {
      last = std::current_exception();
    }
  }
  std::rethrow_exception(last);  // resolve never returns an empty list
}

void TcpStream::set_nodelay(bool on) {
  set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "TCP_NODELAY");
}
bool TcpStream::nodelay() const {
  return get_option(IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY") != 0;
}
void TcpStream::set_keepalive(bool on) {
  set_option(SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0, "SO_KEEPALIVE");
}
bool TcpStream::keepalive() const {
  return get_option(SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE") != 0;
}

}  // namespace tide::net
