// The poll(2) backend: the portable fallback. Level-triggered by nature; the set of fds with
// waiting ops is rebuilt for each wait from ReadinessDriver's active list.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

#include "core/src/backend/readiness.hpp"

namespace tide::detail {

namespace {

class PollDriver final : public ReadinessDriver {
 public:
  explicit PollDriver(int wake_fd) : wake_fd_(wake_fd) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "poll"; }
  // There is no kernel object standing for the set: the wake-up eventfd is readable when a
  // post waits, and a host that wants the rest asks for pollable_fds().
  int pollable_fd() override { return wake_fd_; }

  // A host loop watches exactly the set wait() would poll, so it wakes when (and only when)
  // wait(0) has something to deliver.
  void pollable_fds(std::vector<pollfd>& out) override { build_set(out); }

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
    build_set(set_);
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout) {
      ts.tv_sec = static_cast<time_t>(timeout->count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(timeout->count() % 1'000'000'000);
      tsp = &ts;
    }
    int n = ::ppoll(set_.data(), set_.size(), tsp, nullptr);
    if (n < 0) {
      if (errno == EINTR) return;
      throw std::system_error(errno, std::system_category(), "tide poll backend: ppoll");
    }
    if (set_[0].revents) {
      std::uint64_t count;
      [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
    }
    for (std::size_t i = 1; i < set_.size() && n > 0; ++i) {
      if (set_[i].revents == 0) continue;
      --n;
      const FdState* s = state_of(set_[i].fd);
      dispatch(set_[i].fd, static_cast<std::uint16_t>(set_[i].revents), s ? s->generation : 0);
    }
  }

 protected:
  void watch(int, FdState& s, std::uint32_t events) override { s.registered = events; }
  void unwatch(int, FdState&) noexcept override {}

 private:
  // The wake-up eventfd first, then each fd with waiting ops, for the events those ops wait
  // for. wait() relies on that order (set[0] is the eventfd).
  void build_set(std::vector<pollfd>& set) const {
    set.clear();
    set.push_back(pollfd{wake_fd_, POLLIN, 0});
    for (int fd : active_fds_) {
      short events = 0;
      for (const IoOp* op = fds_[fd].ops.front(); op; op = OpList::next(*op))
        events |= static_cast<short>(op->kind == IoOp::Kind::poll ? op->poll_events
                                     : op->wants_read()           ? POLLIN | POLLRDHUP
                                                                  : POLLOUT);
      set.push_back(pollfd{fd, events, 0});
    }
  }

  int wake_fd_;
  std::vector<pollfd> set_;
};

}  // namespace

std::unique_ptr<Driver> make_poll_driver(int wake_fd) {
  return std::make_unique<PollDriver>(wake_fd);
}

}  // namespace tide::detail
