// Embedding the loop in a host's own poll(2) loop: through backend_fd() and next_timeout()
// where one fd stands for the loop (epoll, io_uring), and through backend_fds() on every
// backend. The host sleeps only when the loop has nothing to do, and wakes for I/O, timers
// and posts.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/pipe.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>

#include "sockets.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Loop;
using tide::Task;

// One turn of a host loop. Returns false if the host slept 10 s without being woken: a lost
// wake-up, which would hang a real host.
bool host_turn(Loop& loop) {
  auto timeout = loop.next_timeout();
  int ms = 10'000;
  if (timeout)
    ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count());
  pollfd p{loop.backend_fd(), POLLIN, 0};
  const int n = ::poll(&p, 1, ms);
  loop.run_once(0ms);
  return n != 0 || timeout.has_value();
}

TEST(Embedding, HostWakesForIoOnTheLoopsFd) {
  if (std::string(Loop().backend_name()) == "poll")
    GTEST_SKIP() << "documented: the poll backend's fd reports posts only (see backend_fds)";
  Loop loop;
  const int host_fd = loop.backend_fd();  // asked first, as a host registering it does
  ASSERT_GE(host_fd, 0);
  tide::io::Pipe pipe;
  std::string got;
  auto reader = loop.spawn([](tide::io::Pipe& p, std::string& out) -> Task<void> {
    std::array<char, 16> buf{};
    std::size_t n = co_await p.read(std::span(buf));
    out.assign(buf.data(), n);
  }(pipe, got));
  // The task starts its read; on io_uring the read is then prepared but not yet submitted,
  // and next_timeout() must say so rather than let the host sleep.
  loop.run_once(0ms);
  ASSERT_FALSE(reader.done());
  ASSERT_EQ(::write(pipe.write_fd(), "wake", 4), 4);
  while (!reader.done())
    ASSERT_TRUE(host_turn(loop)) << "the host was not woken for I/O";
  EXPECT_EQ(got, "wake");
}

TEST(Embedding, HostWakesForTimers) {
  Loop loop;
  auto sleeper = loop.spawn([]() -> Task<void> { co_await tide::sleep_for(20ms); }());
  while (!sleeper.done())
    ASSERT_TRUE(host_turn(loop)) << "the host was not woken for a timer";
}

// A host loop written with plain poll(2) that knows the tide loop only through
// backend_fds(), next_timeout() and run_once(0), as a GLib or Qt host would. It counts the
// times it woke up.
class PollHost {
 public:
  explicit PollHost(Loop& loop) : loop_(loop) {
    (void)loop_.backend_fds();  // before the loop first runs (see Loop::backend_fd)
  }

  // Sleeps until the loop has work (or its next timer is due), then runs it. False if the
  // host slept 10 s without being woken: a lost wake-up, which would hang a real host.
  bool turn() {
    const auto timeout = loop_.next_timeout();  // first: from here on a post wakes the host
    const int ms =
        timeout ? static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count())
                : 10'000;
    fill_set();
    const int n = ::poll(set_.data(), set_.size(), ms);
    if (n < 0) throw std::system_error(errno, std::system_category(), "poll");
    ++wakeups;
    loop_.run_once(0ms);
    return n != 0 || timeout.has_value();
  }

  // Turns until `done()`. Fails the test on a lost wake-up, or when it takes more than
  // `max_turns` wake-ups: a host that spins (an fd in the set that stays ready while the
  // loop has nothing to do) takes thousands.
  ::testing::AssertionResult run_until(const std::function<bool()>& done, int max_turns) {
    for (int turns = 0; !done(); ++turns) {
      if (turns == max_turns)
        return ::testing::AssertionFailure() << "still not done after " << turns << " wake-ups";
      if (!turn()) return ::testing::AssertionFailure() << "the host was not woken";
    }
    return ::testing::AssertionSuccess();
  }

  // Whether the host would sleep now, and for how long: the loop asks for no immediate turn
  // and none of the fds it gave is ready. poll(2) is level-triggered, so a ready fd here
  // would wake the host again and again while the loop has nothing to do.
  ::testing::AssertionResult would_sleep() {
    const auto timeout = loop_.next_timeout();
    if (timeout && *timeout == 0ns) return ::testing::AssertionFailure() << "work is ready";
    fill_set();
    const int n = ::poll(set_.data(), set_.size(), 0);
    if (n == 0) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << n << " watched fds are ready:";
    for (const pollfd& p : set_)
      if (p.revents) failure << " fd " << p.fd << " revents " << p.revents;
    return failure;
  }

  int wakeups = 0;

 private:
  void fill_set() {
    set_.clear();
    for (const Loop::WatchedFd& w : loop_.backend_fds())
      set_.push_back(pollfd{w.fd, static_cast<short>(w.events), 0});
  }

  Loop& loop_;
  std::vector<pollfd> set_;
};

// A plain blocking client socket of the test thread, so that the tide loop sees real socket
// readiness from outside.
tide::io::Fd blocking_client(std::uint16_t port) {
  tide::io::Fd fd = tide::testing::connect_loopback(port);
  const int flags = ::fcntl(fd.get(), F_GETFL);
  tide::testing::check(::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK), "fcntl");
  return fd;
}

Task<void> echo_one_connection(tide::TcpListener& listener, int& echoed) {
  tide::TcpStream stream = co_await listener.accept();
  std::array<std::byte, 256> buf{};
  for (;;) {
    const std::size_t n = co_await stream.read_some(buf);
    if (n == 0) co_return;
    co_await stream.write_all(std::span<const std::byte>(buf.data(), n));
    ++echoed;
  }
}

// The scenario a GLib or Qt host runs into: tide serves a socket, runs its timers and takes
// posts from another thread, all through the host's sleep. Between steps the host must be
// able to sleep (no fd it watches is ready), and each step must wake it a few times only.
TEST(Embedding, PollHostServesSocketsTimersAndPostsWithoutSpinning) {
  Loop loop;
  PollHost host(loop);
  auto listener = tide::TcpListener::bind(tide::net::SocketAddress::loopback(0));
  int echoed = 0;
  auto server = loop.spawn(echo_one_connection(listener, echoed));
  ASSERT_TRUE(host.run_until([&] { return host.would_sleep(); }, 10));
  EXPECT_FALSE(loop.next_timeout().has_value()) << "nothing is due: the host may sleep for ever";

  // Socket I/O: each message wakes the host, and is echoed.
  tide::io::Fd client = blocking_client(listener.local_address().port());
  for (int i = 0; i < 20; ++i) {
    const std::string message = "message " + std::to_string(i);
    ASSERT_EQ(::send(client.get(), message.data(), message.size(), 0),
              static_cast<ssize_t>(message.size()));
    ASSERT_TRUE(host.run_until([&] { return echoed == i + 1; }, 10)) << "message " << i;
    std::string back(message.size(), '\0');
    ASSERT_EQ(::recv(client.get(), back.data(), back.size(), MSG_WAITALL),
              static_cast<ssize_t>(back.size()));
    EXPECT_EQ(back, message);
    ASSERT_TRUE(host.run_until([&] { return host.would_sleep(); }, 10)) << "after " << i;
  }

  // Timers: the host sleeps until each one is due (next_timeout), and only then.
  int ticks = 0;
  auto ticker = loop.spawn([](int& count) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      co_await tide::sleep_for(5ms);
      ++count;
    }
  }(ticks));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(host.run_until([&] { return ticks == i + 1; }, 6)) << "tick " << i;
    if (i < 2) {
      ASSERT_TRUE(host.would_sleep());
      EXPECT_TRUE(loop.next_timeout().has_value()) << "a timer is due";
    }
  }
  ASSERT_TRUE(host.run_until([&] { return ticker.done(); }, 4));

  // Posts from another thread, made while the host sleeps (or is about to).
  Loop::Remote remote = loop.remote();
  int posted = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(host.run_until([&] { return host.would_sleep(); }, 10));
    std::thread poster([&remote, &posted] { remote.post([&posted] { ++posted; }); });
    const bool woke = host.run_until([&] { return posted == i + 1; }, 4);
    poster.join();
    ASSERT_TRUE(woke) << "post " << i;
  }

  // The client leaves: the server sees the end of the stream and finishes.
  client.close();
  ASSERT_TRUE(host.run_until([&] { return server.done(); }, 10));
  server.result();
  EXPECT_EQ(echoed, 20);
  // Three steps of the whole scenario (20 echoes, 3 ticks, 5 posts, the close) took few
  // wake-ups each; a spinning host would have taken thousands.
  EXPECT_LE(host.wakeups, 20 * 10 + 3 * 6 + 5 * 4 + 40);
}

// Writes wait for room too: the fd of a write that would block is watched for POLLOUT (on the
// poll backend), and the host wakes when the peer makes room, not before.
TEST(Embedding, PollHostWakesWhenAWriteFindsRoom) {
  Loop loop;
  PollHost host(loop);
  tide::io::Pipe pipe;
  const std::string data(1 << 20, 'x');  // far more than a pipe holds (64 KiB by default)
  auto writer = loop.spawn(pipe.write_all(data));
  ASSERT_TRUE(host.run_until([&] { return host.would_sleep(); }, 10));
  ASSERT_FALSE(writer.done());
  std::vector<char> buf(1 << 16);
  std::size_t drained = 0;
  for (int rounds = 0; !writer.done(); ++rounds) {
    ASSERT_LT(rounds, 1000) << "the writer makes no progress";
    // Make room, then let the host wake for it.
    const ssize_t n = ::read(pipe.read_fd(), buf.data(), buf.size());
    if (n > 0) drained += static_cast<std::size_t>(n);
    ASSERT_TRUE(n > 0 || errno == EAGAIN);
    ASSERT_TRUE(host.run_until([&] { return writer.done() || host.would_sleep(); }, 10));
  }
  writer.result();
  for (ssize_t n; (n = ::read(pipe.read_fd(), buf.data(), buf.size())) > 0;)
    drained += static_cast<std::size_t>(n);
  EXPECT_EQ(drained, data.size());
}

// What backend_fds() holds: on epoll and io_uring the one fd backend_fd() gives; on poll the
// wake-up eventfd and each fd ops wait on, with their events, and no fd once its ops are done.
TEST(Embedding, BackendFdsListsWhatTheHostMustWatch) {
  Loop loop;
  const auto initial = loop.backend_fds();
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0], (Loop::WatchedFd{loop.backend_fd(), POLLIN}));
  tide::io::Pipe pipe;
  auto reader = loop.spawn([](tide::io::Pipe& p) -> Task<std::size_t> {
    std::array<char, 16> buf{};
    co_return co_await p.read(std::span(buf));
  }(pipe));
  loop.run_once(0ms);
  ASSERT_FALSE(reader.done());
  const auto waiting = loop.backend_fds();
  if (loop.backend_name() == "poll") {
    ASSERT_EQ(waiting.size(), 2u);
    EXPECT_EQ(waiting[0], initial[0]) << "the wake-up eventfd comes first";
    EXPECT_EQ(waiting[1].fd, pipe.read_fd());
    EXPECT_TRUE(waiting[1].events & POLLIN) << waiting[1].events;
    EXPECT_FALSE(waiting[1].events & POLLOUT) << waiting[1].events;
  } else {
    EXPECT_EQ(waiting, initial);
  }
  ASSERT_EQ(::write(pipe.write_fd(), "x", 1), 1);
  while (!reader.done())
    loop.run_once(10ms);
  EXPECT_EQ(reader.result(), 1u);
  EXPECT_EQ(loop.backend_fds(), initial);
}

}  // namespace
