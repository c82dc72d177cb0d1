// What the robustness tests (robustness_test.cpp) need beyond peers.hpp: process limits,
// SIGPIPE's disposition, the kernel's view of sockets, and a child process of plain blocking
// clients whose descriptors count against its own limit rather than the loop's.
#pragma once

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/net/net.hpp>

#include "peers.hpp"
#include "sockets.hpp"

namespace tide::testing {

/// Sets this process's soft RLIMIT_NOFILE for a scope and puts the old one back, so a test
/// never leaves the process with a lowered (or raised) limit.
class FdLimit {
 public:
  explicit FdLimit(rlim_t soft) : old_(current()) {
    rlimit changed = old_;
    changed.rlim_cur = soft;
    check(::setrlimit(RLIMIT_NOFILE, &changed), "setrlimit(RLIMIT_NOFILE)");
  }
  FdLimit(const FdLimit&) = delete;
  FdLimit& operator=(const FdLimit&) = delete;
  ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &old_); }

  static rlimit current() {
    rlimit limit{};
    check(::getrlimit(RLIMIT_NOFILE, &limit), "getrlimit(RLIMIT_NOFILE)");
    return limit;
  }

  /// A scope with at least `needed` descriptors allowed (the soft limit raised towards the
  /// hard one), or nothing if the hard limit is lower.
  static std::optional<FdLimit> at_least(rlim_t needed) {
    const rlimit limit = current();
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= needed)
      return std::optional<FdLimit>(std::in_place, limit.rlim_cur);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) return std::nullopt;
    return std::optional<FdLimit>(std::in_place, needed);
  }

 private:
  rlimit old_;
};

/// SIGPIPE at its default action (terminate) and unblocked for a scope: what a program that
/// never heard of SIGPIPE runs with. tide must not count on it being ignored.
class SigpipeDefault {
 public:
  SigpipeDefault() {
    struct sigaction deflt {};
    deflt.sa_handler = SIG_DFL;
    ::sigemptyset(&deflt.sa_mask);
    check(::sigaction(SIGPIPE, &deflt, &old_action_), "sigaction(SIGPIPE)");
    sigset_t pipe;
    ::sigemptyset(&pipe);
    ::sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_UNBLOCK, &pipe, &old_mask_);
  }
  SigpipeDefault(const SigpipeDefault&) = delete;
  SigpipeDefault& operator=(const SigpipeDefault&) = delete;
  ~SigpipeDefault() {
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    ::sigaction(SIGPIPE, &old_action_, nullptr);
  }

 private:
  struct sigaction old_action_ {};
  sigset_t old_mask_{};
};

/// UBSan's vptr check reads an object's vtable the first time it meets a pair of dynamic and
/// static type, and tests that memory's readability with pipe(2): with no descriptor free it
/// fails and reports an "invalid vptr" (with -fno-sanitize-recover, the process ends). Once
/// checked, a pair stays in the runtime's cache. So a test that uses up every descriptor
/// first has the pairs its code meets then (a std::system_error caught and asked for its code
/// and category, as Listener::accept does on EMFILE) checked while descriptors are free.
/// Without UBSan this is a throw and a catch.
inline void check_error_types_while_fds_are_free() {
  try {
    throw std::system_error(EMFILE, std::system_category(), "tide::testing: warming up");
  } catch (const std::system_error& e) {
    if (e.code().category() != std::system_category() || e.code().value() != EMFILE) std::abort();
  }
}

/// CPU time (user + system) of this whole process: the loop thread and any kernel worker
/// threads (io_uring's io-wq) that work for it.
inline std::chrono::nanoseconds process_cpu_time() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

/// A listening socket's accept queue as the kernel counts it (TCP_INFO on a listener gives
/// the queue's length in tcpi_unacked and its limit, the backlog, in tcpi_sacked). The
/// kernel drops a new SYN once the length exceeds the limit.
struct AcceptQueue {
  unsigned length = 0;
  unsigned limit = 0;
  [[nodiscard]] bool full() const noexcept { return length > limit; }
};
inline AcceptQueue accept_queue(int listener) {
  tcp_info info{};
  socklen_t size = sizeof info;
  check(::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &size), "getsockopt(TCP_INFO)");
  return {info.tcpi_unacked, info.tcpi_sacked};
}

/// Connects plain blocking sockets to `listener` (never accepted) until its accept queue is
/// full, so that the kernel drops the next SYN. Each connect completes at once while the
/// queue has room; before the next one we wait until the kernel has queued the last (its
/// ACK is processed a moment after the client's connect returns).
inline std::vector<io::Fd> fill_accept_queue(net::TcpListener& listener) {
  const int fd = listener.native_handle();
  const std::uint16_t port = listener.local_address().port();
  std::vector<io::Fd> fillers;
  while (!accept_queue(fd).full()) {
    if (fillers.size() >= 64) throw std::runtime_error("fill_accept_queue: the queue never fills");
    fillers.push_back(connect_loopback(port));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (accept_queue(fd).length < fillers.size()) {
      if (std::chrono::steady_clock::now() > give_up)
        throw std::runtime_error("fill_accept_queue: a connection never reached the queue");
      std::this_thread::yield();
    }
  }
  return fillers;
}

/// TCP states as the kernel numbers them (tcp_info's tcpi_state).
enum class TcpState { established = 1, syn_sent = 2 };

/// This process's TCP sockets in `state`, asked of each socket itself (TCP_INFO on every
/// descriptor in /proc/self/fd). Not /proc/net/tcp: reading that table while other tests open
/// and close connections can list a socket twice or skip it, since each read() resumes at a
/// position counted within a hash bucket that may have changed since. Only this process's,
/// since tests of other binaries run at the same time.
inline int own_tcp_sockets_in(TcpState state) {
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) throw std::system_error(errno, std::system_category(), "/proc/self/fd");
  int count = 0;
  while (const dirent* entry = ::readdir(fds)) {
    int fd = -1;
    if (std::sscanf(entry->d_name, "%d", &fd) != 1 || fd == ::dirfd(fds)) continue;
    tcp_info info{};
    socklen_t size = sizeof info;
    // Fails (ENOTSOCK, EOPNOTSUPP, ...) on everything that is not a TCP socket.
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0 &&
        info.tcpi_state == static_cast<unsigned>(state))
      ++count;
  }
  ::closedir(fds);
  return count;
}

/// SO_SNDBUF / SO_RCVBUF (the kernel doubles them; setting one also stops its autotuning).
/// A listener's sizes are inherited by the connections it accepts.
inline void set_send_buffer(int fd, int bytes) {
  check(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes), "SO_SNDBUF");
}
inline void set_receive_buffer(int fd, int bytes) {
  check(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes), "SO_RCVBUF");
}

/// Polls `done()` every millisecond until it holds or `limit` passes: waiting on a condition
/// nobody signals (a counter kept by tide), with a bound so a bug fails instead of hanging.
inline Task<bool> wait_until(std::function<bool()> done, std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) co_return false;
    co_await tide::sleep_for(std::chrono::milliseconds(1));
  }
  co_return true;
}

/// Ends the test process with a message if a scenario is not over within `limit`: for a
/// failure that keeps the loop from ever turning again (an accept that retries at once and
/// never suspends), which the scenario itself cannot report.
class Watchdog {
 public:
  Watchdog(std::chrono::seconds limit, const char* what)
      : thread_([this, limit, what] {
          std::unique_lock lock(mutex_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: %s (not over after %lld s)\n", what,
                         static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

/// A child process that runs plain blocking clients. Its descriptors count against its own
/// RLIMIT_NOFILE (it inherits the limit in force when it is made), not against the loop's.
/// It talks with the test over a Unix socket: one-byte reports and commands.
///
/// The child must use system calls only: the parent may have other threads (whose locks fork
/// copies held), and everything of tide's in the child's memory belongs to the parent. An
/// io::Fd closed in the child would even reach the parent's io_uring submission ring, which
/// fork shares. So the body works on plain ints and memory allocated before the fork.
class ClientProcess {
 public:
  /// Forks; the child runs `body(control)` with the control socket on fd 3 (blocking) and
  /// every other descriptor above stderr closed, then exits with what `body` returned.
  template <class Body>
  explicit ClientProcess(Body&& body) {
    auto [ours, theirs] = net::socketpair();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::system_error(errno, std::system_category(), "fork");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that crashed
      if (::getppid() != parent) ::_exit(90);
      if (::dup2(theirs.native_handle(), 3) != 3) ::_exit(91);
      ::close_range(4, ~0U, 0);  // the parent's sockets, ring and eventfds are not ours
      ::fcntl(3, F_SETFL, 0);
      ::_exit(body(3));
    }
    theirs.close();
    control_ = std::move(ours);
  }
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;
  ~ClientProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// The child's next report (one byte). Throws EndOfStream if the child is gone.
  Task<char> report() {
    char c = 0;
    co_await control_.read_exact(std::as_writable_bytes(std::span(&c, 1)));
    co_return c;
  }
  /// Sends the child a one-byte command.
  Task<void> tell(char command) { co_await control_.write_all(std::string_view(&command, 1)); }
  /// Closes the control socket (the child sees its end) and waits for the child to exit:
  /// its exit code, or 128 + the signal that killed it.
  int wait() {
    control_.close();
    int status = 0;
    ::waitpid(std::exchange(pid_, -1), &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  net::UnixStream control_;
};

// What child processes run (system calls only; see ClientProcess).
namespace in_child {

inline bool send_byte(int fd, char c) {
  return ::send(fd, &c, 1, MSG_NOSIGNAL) == 1;
}
/// The next byte from `fd`, or 0 at its end.
inline char receive_byte(int fd) {
  char c = 0;
  return ::recv(fd, &c, 1, MSG_WAITALL) == 1 ? c : 0;
}

/// A blocking connect to 127.0.0.1:`port`: the socket, or -1.
inline int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Connects `fds.size()` clients, reports 'c', waits for any command, closes them all and
/// reports 'd'. Exit code 0, or 1 if a connect failed.
inline int hold_connections(int control, std::uint16_t port, std::vector<int>& fds) {
  for (int& fd : fds)
    if ((fd = connect_to(port)) < 0) return 1;
  send_byte(control, 'c');
  receive_byte(control);
  for (int fd : fds)
    ::close(fd);
  send_byte(control, 'd');
  receive_byte(control);  // until the parent is done with us
  return 0;
}

/// The message client `i` sends (and expects back): its number in ten digits, then filler
/// that differs from client to client.
inline void message_of(std::size_t i, char (&message)[64]) {
  for (std::size_t k = 0; k < sizeof message; ++k)
    message[k] = static_cast<char>('a' + (i * 31 + k * 7) % 26);
  for (std::size_t k = 10, rest = i; k-- > 0; rest /= 10)
    message[k] = static_cast<char>('0' + rest % 10);
}

/// Connects `fds.size()` clients and reports 'c'; on a command, sends each one message and
/// reads each echo back, reporting 'e' if all came back intact ('x' if not); on the next
/// command closes them all and reports 'd'. Exit code 0 if everything went through.
inline int echo_connections(int control, std::uint16_t port, std::vector<int>& fds) {
  for (int& fd : fds)
    if ((fd = connect_to(port)) < 0) return 1;
  send_byte(control, 'c');
  if (receive_byte(control) == 0) return 2;
  char message[64];
  for (std::size_t i = 0; i < fds.size(); ++i) {
    message_of(i, message);
    if (::send(fds[i], message, sizeof message, MSG_NOSIGNAL) != sizeof message) return 3;
  }
  bool intact = true;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    char echo[sizeof message];
    if (::recv(fds[i], echo, sizeof echo, MSG_WAITALL) != sizeof echo) return 4;
    message_of(i, message);
    intact = intact && std::memcmp(echo, message, sizeof echo) == 0;
  }
  send_byte(control, intact ? 'e' : 'x');
  if (receive_byte(control) == 0) return 5;
  for (int fd : fds)
    ::close(fd);
  send_byte(control, 'd');
  receive_byte(control);
  return intact ? 0 : 6;
}

}  // namespace in_child

/// Writes `block` over and over until the stream fails (it is closed under us): the bytes
/// written. A client that sends and never reads.
inline Task<std::size_t> write_forever(net::StreamSocket& stream,
                                       std::span<const std::byte> block) {
  std::size_t written = 0;
  try {
    for (;;)
      written += co_await stream.write_some(block);
  } catch (const std::system_error&) {
    // The end this helper waits for (EBADF once the test closes the stream, or a reset).
  }
  co_return written;
}

/// TcpStream::connect that counts how often it ended with Cancelled.
inline Task<TcpStream> counted_connect(SocketAddress address, int& cancelled) {
  try {
    co_return co_await TcpStream::connect(address);
  } catch (const Cancelled&) {
    ++cancelled;
    throw;
  }
}

/// Connects, makes `rounds` round trips of 100 bytes and checks each echo: the slowest
/// round trip.
inline Task<std::chrono::nanoseconds> timed_echo_rounds(SocketAddress address, int rounds) {
  TcpStream stream = co_await TcpStream::connect(address);
  stream.set_nodelay(true);
  const std::string message = pattern(100);
  std::string reply(message.size(), '\0');
  std::chrono::nanoseconds slowest{0};
  for (int i = 0; i < rounds; ++i) {
    const auto begin = std::chrono::steady_clock::now();
    co_await stream.write_all(message);
    co_await stream.read_exact(std::as_writable_bytes(std::span(reply)));
    slowest = std::max<std::chrono::nanoseconds>(slowest, std::chrono::steady_clock::now() - begin);
    EXPECT_EQ(reply, message);
  }
  co_return slowest;
}

/// Reads `n` bytes, then closes with a reset: a peer that vanishes while we write to it.
inline Task<void> read_then_reset(TcpStream stream, std::size_t n) {
  std::vector<std::byte> buffer(n);
  co_await stream.read_exact(buffer);
  reset(stream);
}

}  // namespace tide::testing
