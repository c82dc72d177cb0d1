#pragma once

#include <string>
#include <vector>

#include <tide/core/task.hpp>
#include <tide/net/socket_address.hpp>

namespace tide::net {

/// What `resolve` looks for.
struct ResolveOptions {
  /// Only addresses of this family (`none`: IPv4 and IPv6, in the system's preferred order).
  SocketAddress::Family family = SocketAddress::Family::none;
  /// Addresses to listen on (the wildcard address when `host` is empty) rather than to
  /// connect to (loopback when `host` is empty).
  bool passive = false;
};

/// Resolves `host` ("localhost", "::1", "example.org") and `service` ("8080", "http") to
/// the addresses to try in order, one per address (duplicates for other socket types
/// dropped). getaddrinfo(3) runs on the loop's thread pool, so the loop keeps running.
/// Throws ResolveError carrying getaddrinfo's code and message.
/// Cancellation: a lookup not yet started is withdrawn; a running one cannot be stopped, so
/// the task waits for it and `Cancelled` is raised after (as for `tide::to_thread`). Thread safety:
/// on a loop's thread.
[[nodiscard]] Task<std::vector<SocketAddress>> resolve(std::string host, std::string service,
                                                       ResolveOptions options = {});

}  // namespace tide::net
