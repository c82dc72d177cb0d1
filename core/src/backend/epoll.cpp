// The epoll backend: each fd is registered once, edge-triggered, the first time an op has to
// wait on it, for the directions ops have waited for (POLLOUT is added by one EPOLL_CTL_MOD
// the first time a write has to wait: most writes complete at once, and watching POLLOUT
// everywhere would report an edge each time a peer reads). It is removed when tide closes the
// fd. Every op tries its syscall before waiting unless an EAGAIN since the last edge says it
// would fail (see ReadinessDriver), so an edge that arrived while nobody waited is never
// needed, and a FIN right behind data (no further edge) is still seen.
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "core/src/backend/readiness.hpp"

namespace tide::detail {

namespace {

constexpr std::uint64_t wake_token = ~std::uint64_t{0};

std::uint64_t token(int fd, std::uint32_t generation) {
  return static_cast<std::uint32_t>(fd) | (std::uint64_t{generation} << 32);
}

class EpollDriver final : public ReadinessDriver {
 public:
  explicit EpollDriver(int wake_fd) : wake_fd_(wake_fd), events_(256) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
      throw std::system_error(errno, std::system_category(), "tide epoll backend: epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: drained on every wake-up
    ev.data.u64 = wake_token;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) {
      int error = errno;
      ::close(epfd_);
      throw std::system_error(error, std::system_category(),
                              "tide epoll backend: watching the wake-up eventfd");
    }
  }
  ~EpollDriver() override { ::close(epfd_); }

  [[nodiscard]] std::string_view name() const noexcept override { return "epoll"; }
  int pollable_fd() override { return epfd_; }

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
    int n = wait_for_events(timeout);
    if (n < 0) {
      if (errno == EINTR) return;
      throw std::system_error(errno, std::system_category(), "tide epoll backend: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events_[i];
      if (ev.data.u64 == wake_token) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
        continue;
      }
      // EPOLL* and POLL* bits have the same values on Linux.
      dispatch(static_cast<int>(ev.data.u64 & 0xffffffffu), ev.events,
               static_cast<std::uint32_t>(ev.data.u64 >> 32));
    }
    if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  }

 protected:
  void watch(int fd, FdState& s, std::uint32_t events) override {
    epoll_event ev{};
    std::uint32_t mask = EPOLLET;
    if (events & POLLIN) mask |= EPOLLIN | EPOLLRDHUP | EPOLLPRI;
    if (events & POLLOUT) mask |= EPOLLOUT;
    ev.events = mask;
    ev.data.u64 = token(fd, s.generation);
    const int op = s.registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (::epoll_ctl(epfd_, op, fd, &ev) < 0) {
      // EEXIST: registered by a dup of an earlier fd with this number that tide was not told
      // about; take the registration over.
      if (op != EPOLL_CTL_ADD || errno != EEXIST || ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) < 0)
        throw std::system_error(errno, std::system_category(),
                                "tide epoll backend: cannot watch fd " + std::to_string(fd));
    }
    s.registered = events;
  }

  void unwatch(int fd, FdState&) noexcept override {
    // Needed even though close() would drop it: a dup of the fd elsewhere keeps the open file
    // (and so the registration) alive, and its events would keep coming.
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }

 private:
  int wait_for_events(std::optional<std::chrono::nanoseconds> timeout) {
    const int capacity = static_cast<int>(events_.size());
#ifdef SYS_epoll_pwait2
    if (have_pwait2_) {
      timespec ts{};
      timespec* tsp = nullptr;
      if (timeout) {
        auto ns = timeout->count();
        ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        tsp = &ts;
      }
      int n = ::epoll_pwait2(epfd_, events_.data(), capacity, tsp, nullptr);
      if (n >= 0 || errno != ENOSYS) return n;
      have_pwait2_ = false;  // kernel older than 5.11
    }
#endif
    int ms = -1;
    if (timeout) {
      // Round up: waking before the deadline would make the loop spin until it passes.
      auto rounded = (timeout->count() + 999'999) / 1'000'000;
      ms = rounded > INT_MAX ? INT_MAX : static_cast<int>(rounded);
    }
    return ::epoll_wait(epfd_, events_.data(), capacity, ms);
  }

  int epfd_ = -1;
  int wake_fd_;
  bool have_pwait2_ = true;
  std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Driver> make_epoll_driver(int wake_fd) {
  return std::make_unique<EpollDriver>(wake_fd);
}

}  // namespace tide::detail
