#include <memory>
#include <stdexcept>
#include <string>

#include "core/src/driver.hpp"

namespace tide::detail {

std::unique_ptr<Driver> make_epoll_driver(int wake_fd);
std::unique_ptr<Driver> make_poll_driver(int wake_fd);

std::unique_ptr<Driver> make_driver(Backend requested, int wake_fd) {
  switch (requested) {
    case Backend::Auto:
    case Backend::Epoll:
      return make_epoll_driver(wake_fd);
    case Backend::Poll:
      return make_poll_driver(wake_fd);
    case Backend::IoUring:
    case Backend::Kqueue:
    case Backend::Iocp:
      break;
  }
  throw std::invalid_argument("tide: the " + std::string(to_string(requested)) +
                              " backend is not available in this build on this platform");
}

}  // namespace tide::detail
