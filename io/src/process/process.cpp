#include <tide/io/process.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <tide/core/errors.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/signals.hpp>

#include "io/src/process/reaper.hpp"

namespace tide::io {

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      reaped_(other.reaped_),
      daemon_(other.daemon_),
      status_lost_(other.status_lost_),
      code_(other.code_),
      signal_(other.signal_),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    std::destroy_at(this);
    std::construct_at(this, std::move(other));
  }
  return *this;
}

Process::~Process() {
  if (pid_ < 0 || reaped_) return;
  try {
    if (try_reap()) return;
  } catch (...) {
    return;
  }
  if (daemon_) {
    // A daemon child does not outlive the object that started it.
    try {
      kill();
    } catch (...) {
    }
    siginfo_t info{};
    while ((pidfd_ ? ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED)
                   : ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED)) < 0 &&
           errno == EINTR) {
    }
    return;
  }
  detail::adopt_orphan(pid_, std::move(pidfd_));
}

bool Process::try_reap() {
  if (reaped_) return true;
  int code = -1, signal = 0;
  bool lost = false;
  if (!detail::reap_child(pid_, pidfd_.get(), code, signal, lost)) return false;
  reaped_ = true;
  status_lost_ = lost;
  code_ = code;
  signal_ = signal;
  return true;
}

bool Process::running() {
  return pid_ >= 0 && !try_reap();
}

Task<int> Process::wait() {
  if (pid_ < 0) throw UsageError("tide::Process::wait: no process (moved from)");
  if (pidfd_) {
    // The pidfd stays open after the reap (it stays readable), so several waiters are fine.
    while (!try_reap())
      co_await wait_ready(pidfd_.get(), POLLIN);
  } else {
    // No pidfds (Linux before 5.3, or a filter): SIGCHLD, subscribed before the first look
    // so that an end between the look and the wait still wakes us.
    Signals child_ended{SIGCHLD};
    while (!try_reap())
      co_await child_ended.wait();
  }
  if (status_lost_)
    throw ProcessError("tide::Process::wait: the exit status of process " + std::to_string(pid_) +
                       " was collected by someone else (SIGCHLD ignored, or waitpid(-1) in "
                       "this program)");
  co_return signal_ != 0 ? -signal_ : code_;
}

std::optional<int> Process::exit_code() const noexcept {
  if (!reaped_ || status_lost_ || signal_ != 0) return std::nullopt;
  return code_;
}

std::optional<int> Process::term_signal() const noexcept {
  if (!reaped_ || signal_ == 0) return std::nullopt;
  return signal_;
}

void Process::send_signal(int signal) {
  if (signal <= 0 || signal >= NSIG)
    throw std::invalid_argument("tide::Process::send_signal: " + std::to_string(signal) +
                                " is not a signal number");
  if (pid_ < 0 || reaped_) return;
  const long sent = pidfd_ ? ::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0)
                           : ::kill(pid_, signal);  // not yet reaped: the pid is still ours
  if (sent < 0 && errno != ESRCH)
    throw std::system_error(
        errno, std::system_category(),
        "tide::Process: signal " + std::to_string(signal) + " to process " + std::to_string(pid_));
}

void Process::terminate() {
  send_signal(SIGTERM);
}

void Process::kill() {
  send_signal(SIGKILL);
}

namespace {
Pipe& piped(std::optional<Pipe>& pipe, const char* name) {
  if (!pipe)
    throw UsageError(std::string("tide::Process::") + name + "_pipe(): the child's " + name +
                     " is not a pipe (ask for Stdio::pipe)");
  return *pipe;
}
}  // namespace

Pipe& Process::stdin_pipe() {
  return piped(stdin_, "stdin");
}
Pipe& Process::stdout_pipe() {
  return piped(stdout_, "stdout");
}
Pipe& Process::stderr_pipe() {
  return piped(stderr_, "stderr");
}

Task<Process::Output> Process::communicate(std::string input) {
  // Feeding stdin and draining stdout and stderr at once: a child that writes much before
  // reading all its input would otherwise block on a full pipe while we block on its stdin.
  auto feed = [](std::optional<Pipe>& in, std::string data) -> Task<void> {
    if (!in) co_return;
    try {
      if (!data.empty()) co_await in->write_all(data);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::broken_pipe) throw;  // the child stopped reading: fine
    }
    in->close_write();
  };
  auto drain = [](std::optional<Pipe>& out) -> Task<std::string> {
    if (!out) co_return std::string();
    co_return co_await out->read_all();
  };
  auto writer = tide::spawn(feed(stdin_, std::move(input)));
  auto err = tide::spawn(drain(stderr_));
  Output output;
  output.out = co_await drain(stdout_);
  output.err = co_await err;
  co_await writer;
  output.status = co_await wait();
  co_return output;
}

}  // namespace tide::io
