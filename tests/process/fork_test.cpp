// Forking while a loop is live: the parent's loop goes on untouched, and a child that touches
// the inherited loop gets a clear UsageError instead of driving the parent's ring or epoll set.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/pipe.hpp>

#include "test_loop.hpp"

using namespace std::chrono_literals;

namespace {

// What the child checks, one bit per failure (its exit status).
enum ChildFailure : int {
  current_still_set = 1,
  run_not_refused = 2,
  post_not_refused = 4,
  fresh_loop_failed = 8,
  message_unclear = 16,
};

int child_checks(tide::Loop& inherited, tide::Fd watched_copy) {
  int failures = 0;
  if (tide::Loop::try_current() != nullptr) failures |= current_still_set;
  try {
    inherited.run_once(0ns);
    failures |= run_not_refused;
  } catch (const tide::UsageError& e) {
    if (std::string(e.what()).find("inherited through fork()") == std::string::npos)
      failures |= message_unclear;
  }
  try {
    inherited.post([] {});
    failures |= post_not_refused;
  } catch (const tide::UsageError&) {
  }
  // Closing the child's copy of an fd that the parent's loop watches must not reach the
  // parent's backend (an epoll_ctl on the shared epoll set, or a cancel on the shared ring,
  // would break the parent's read).
  watched_copy.close();
  try {
    tide::Loop fresh;
    int got = fresh.run_until_complete([]() -> tide::Task<int> {
      tide::Pipe pipe;
      co_await pipe.write_all("x");
      std::array<std::byte, 4> buf{};
      co_await tide::sleep_for(1ms);
      co_return static_cast<int>(co_await pipe.read(buf));
    }());
    if (got != 1) failures |= fresh_loop_failed;
  } catch (...) {
    failures |= fresh_loop_failed;
  }
  return failures;
}

tide::Task<int> wait_for_child(pid_t pid) {
  tide::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  EXPECT_TRUE(pidfd.valid()) << std::strerror(errno);
  co_await tide::io::wait_ready(pidfd.get(), POLLIN);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(Fork, ChildGetsAClearErrorAndTheParentLoopGoesOn) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    tide::Pipe pipe;
    tide::Loop& loop = tide::Loop::current();
    // In flight at the fork: a read on the pipe (an io_uring operation, or an epoll/poll
    // registration) and a timer.
    auto reader = tide::spawn([](tide::Pipe& p) -> tide::Task<std::string> {
      std::array<char, 16> buf{};
      std::size_t n = co_await p.read(buf);
      co_return std::string(buf.data(), n);
    }(pipe));
    bool timer_fired = false;
    auto timer = tide::spawn([](bool& fired) -> tide::Task<void> {
      co_await tide::sleep_for(20ms);
      fired = true;
    }(timer_fired));
    co_await tide::sleep_for(1ms);  // both are now waiting in the backend

    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::system_category(), "fork");
    if (pid == 0) ::_exit(child_checks(loop, tide::Fd(pipe.read_fd())));

    EXPECT_EQ(co_await wait_for_child(pid), 0)
        << "child failures (bits): 1 current loop still set, 2 run not refused, 4 post not "
           "refused, 8 a fresh loop failed, 16 unclear message";
    co_await pipe.write_all("after");
    // A wait with a bound, so that a broken parent loop fails here rather than hangs.
    EXPECT_EQ(co_await tide::timeout(10s, std::move(reader)), "after");
    co_await timer;
    EXPECT_TRUE(timer_fired);
  });
}

}  // namespace
