// Embedding the loop in a host's own poll(2) loop through backend_fd() and next_timeout():
// the host sleeps only when the loop has nothing to do, and wakes for I/O, timers and posts.
#include <gtest/gtest.h>

#include <poll.h>

#include <array>
#include <chrono>
#include <string>

#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/pipe.hpp>

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
    GTEST_SKIP() << "documented: the poll backend's fd reports posts only";
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

}  // namespace
