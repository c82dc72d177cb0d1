#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/src/backend/driver.hpp"

namespace tide::detail {

std::unique_ptr<Driver> make_epoll_driver(int wake_fd);
std::unique_ptr<Driver> make_poll_driver(int wake_fd);
std::unique_ptr<Driver> make_uring_driver(const DriverOptions& options, int wake_fd);

std::unique_ptr<Driver> make_driver(Backend requested, const DriverOptions& options, int wake_fd) {
  switch (requested) {
    case Backend::Auto:
      try {
        return make_uring_driver(options, wake_fd);
      } catch (const std::system_error&) {
        // No usable io_uring here (old kernel, seccomp, sysctl): epoll does the same job.
        return make_epoll_driver(wake_fd);
      }
    case Backend::IoUring:
      return make_uring_driver(options, wake_fd);
    case Backend::Epoll:
      return make_epoll_driver(wake_fd);
    case Backend::Poll:
      return make_poll_driver(wake_fd);
    case Backend::Kqueue:
    case Backend::Iocp:
      break;
  }
  throw std::invalid_argument("tide: the " + std::string(to_string(requested)) +
                              " backend is not built for this platform (Linux has io_uring, "
                              "epoll and poll)");
}

}  // namespace tide::detail
