// Forked children for the IPC tests, until tide::Process lands: `Child::start(fn)` forks a
// child that runs `fn()` on a fresh tide::Loop of its own (as a task when fn returns a Task,
// as a fibre when it returns void) and `_exit`s with 0 when it returned, 1 when it threw;
// `co_await child.wait()` gives that status without blocking the parent's loop (a pidfd).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/ops.hpp>

namespace tide::testing {

/// In a child, where gtest's EXPECT cannot report: throws (so the child exits 1, naming
/// `what` on stderr) unless `condition` holds.
inline void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("child check failed: " + what);
}

class Child {
 public:
  /// Forks; the child runs `fn()` on a fresh loop and never returns from here.
  template <class Fn>
  static Child start(Fn fn) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::system_category(), "fork");
    if (pid == 0) ::_exit(run_in_child(std::move(fn)));
    return Child(pid);
  }

  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}
  Child& operator=(Child&&) = delete;
  /// A child never waited for is killed and reaped (no zombie), e.g. the seed's daemon
  /// consumers.
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Waits for the child to end and reaps it: its exit status, or 128 + the signal.
  Task<int> wait() {
    co_await io::wait_ready(pidfd_.get(), POLLIN);
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_)
      throw std::system_error(errno, std::system_category(), "waitpid");
    pid_ = -1;
    co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  explicit Child(pid_t pid)
      : pid_(pid), pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {
    if (!pidfd_.valid()) throw std::system_error(errno, std::system_category(), "pidfd_open");
  }

  template <class Fn>
  static int run_in_child(Fn fn) noexcept {
    try {
      Loop loop;
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&>>) {
        loop.run_until_complete([](Fn& f) -> Task<void> { co_await spawn_fiber(f); }(fn));
      } else {
        loop.run_until_complete(fn());
      }
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    } catch (const Cancelled& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    }
    return 1;
  }

  pid_t pid_;
  io::Fd pidfd_;
};

}  // namespace tide::testing
