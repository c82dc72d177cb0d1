#include <tide/net/resolve.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <tide/core/thread_pool.hpp>
#include <tide/net/errors.hpp>

#include "net/src/system.hpp"

namespace tide::net {

namespace {

struct Lookup {
  int code = 0;
  int error = 0;  // errno, for EAI_SYSTEM
  std::vector<SocketAddress> addresses;
};

// getaddrinfo, on a pool thread: blocking is fine there.
Lookup look_up(const std::string& host, const std::string& service, ResolveOptions options) {
  addrinfo hints{};
  hints.ai_family = detail::native_family(options.family);
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  hints.ai_flags = options.passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  Lookup lookup;
  lookup.code = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                              service.empty() ? nullptr : service.c_str(), &hints, &found);
  lookup.error = errno;
  if (lookup.code != 0) return lookup;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    lookup.addresses.push_back(
        SocketAddress::from_native(a->ai_addr, static_cast<std::uint32_t>(a->ai_addrlen)));
  }
  ::freeaddrinfo(found);
  return lookup;
}

}  // namespace

Task<std::vector<SocketAddress>> resolve(std::string host, std::string service,
                                         ResolveOptions options) {
  Lookup lookup = co_await to_thread(look_up, host, service, options);
  const std::string what = "tide::net::resolve(\"" + host + "\", \"" + service + "\")";
  if (lookup.code == EAI_SYSTEM)
    throw ResolveError(what + ": " + std::strerror(lookup.error), lookup.code);
  if (lookup.code != 0) throw ResolveError(what + ": " + ::gai_strerror(lookup.code), lookup.code);
  if (lookup.addresses.empty()) throw ResolveError(what + ": no IPv4 or IPv6 address", EAI_NONAME);
  co_return std::move(lookup.addresses);
}

}  // namespace tide::net
