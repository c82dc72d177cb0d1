#include <tide/core/backend.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

namespace tide {

std::string_view to_string(Backend backend) noexcept {
  switch (backend) {
    case Backend::Auto:
      return "auto";
    case Backend::IoUring:
      return "io_uring";
    case Backend::Epoll:
      return "epoll";
    case Backend::Poll:
      return "poll";
    case Backend::Kqueue:
      return "kqueue";
    case Backend::Iocp:
      return "iocp";
  }
  return "unknown";
}

Backend parse_backend(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "auto") return Backend::Auto;
  if (lower == "io_uring" || lower == "iouring" || lower == "uring") return Backend::IoUring;
  if (lower == "epoll") return Backend::Epoll;
  if (lower == "poll") return Backend::Poll;
  if (lower == "kqueue") return Backend::Kqueue;
  if (lower == "iocp") return Backend::Iocp;
  throw std::invalid_argument("unknown tide backend '" + std::string(name) +
                              "' (expected auto, io_uring, epoll, poll, kqueue or iocp)");
}

}  // namespace tide
