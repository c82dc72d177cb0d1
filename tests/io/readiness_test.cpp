// Behaviour specific to the readiness drivers (epoll, poll): fd reuse and dups.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <system_error>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/pipe.hpp>

#include "sockets.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::io::Pipe;

// A pipe whose read end was waited on and then closed while a dup of it lives on: writes into
// the pipe must not wake the loop for the forgotten registration (no stale wake-up, no spin).
TEST(Readiness, ClosedFdWithALiveDupGivesNoStaleWakeUps) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    tide::io::Fd dup = tide::io::Fd(::dup(pipe.read_fd()));
    {
      auto waiter = tide::spawn([](Pipe& p) -> Task<void> {
        std::array<std::byte, 4> buf{};
        (void)co_await p.read(buf);
      }(pipe));
      co_await tide::sleep_for(1ms);
      waiter.cancel();
      EXPECT_THROW(co_await waiter, tide::Cancelled);
    }
    pipe.close_read();  // the dup keeps the open file (and an epoll registration) alive
    co_await pipe.write_all("data");
    auto& loop = tide::Loop::current();
    auto before = loop.stats().iterations;
    co_await tide::sleep_for(20ms);
    // Asleep for 20 ms: a stale level-triggered registration would spin through thousands
    // of iterations here.
    EXPECT_LT(loop.stats().iterations - before, 10u);
    std::array<char, 8> buf{};
    EXPECT_EQ(::read(dup.get(), buf.data(), buf.size()), 4);
  });
}

TEST(Readiness, FdNumbersReusedTenThousandTimesWakeTheRightReader) {
  tide::testing::run_clean([]() -> Task<void> {
    for (int i = 0; i < 10'000; ++i) {
      Pipe pipe;  // the kernel hands out the same numbers again and again
      auto reader = tide::spawn([](Pipe& p) -> Task<int> {
        std::array<std::byte, 4> buf{};
        co_return static_cast<int>(co_await p.read(buf));
      }(pipe));
      co_await tide::yield_now();  // the reader waits (registered with the backend)
      co_await pipe.write_all("ab");
      EXPECT_EQ(co_await reader, 2);
    }
  });
}

TEST(Readiness, WaitReadyReportsReadiness) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    auto writer = tide::spawn([](Pipe& p) -> Task<void> {
      co_await tide::sleep_for(1ms);
      co_await p.write_all("!");
    }(pipe));
    unsigned events = co_await tide::io::wait_ready(pipe.read_fd(), POLLIN);
    EXPECT_TRUE(events & POLLIN);
    EXPECT_TRUE(co_await tide::io::wait_ready(pipe.write_fd(), POLLOUT) & POLLOUT);
    co_await writer;
  });
}

// I/O on a descriptor that was closed (through Fd, so the loop forgot it) fails with EBADF: not
// a hang on a stale registration, not an end of file. The backend watched the fd before.
TEST(Readiness, IoOnAClosedFdFailsWithEbadf) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    auto reader = tide::spawn([](int fd) -> Task<std::size_t> {
      std::array<std::byte, 4> buf{};
      co_return co_await tide::io::read(fd, buf);  // waits: nothing written yet
    }(pipe.read_fd()));
    co_await tide::yield_now();  // the reader now waits in the backend
    co_await pipe.write_all("x");
    EXPECT_EQ(co_await reader, 1u);
    const int closed = pipe.read_fd();
    pipe.close_read();  // Fd::close: the loop forgets the fd, then it is closed
    std::array<std::byte, 4> buf{};
    try {
      const std::size_t n = co_await tide::io::read(closed, buf);
      ADD_FAILURE() << "read from closed fd " << closed << " returned " << n;
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::error_code(EBADF, std::system_category())) << e.what();
    }
  });
}

// Data and the peer's shutdown can arrive as one readiness event (EPOLLIN|EPOLLRDHUP): after
// the short read that takes the data no further edge comes, so the next read must still run
// and see the end of the stream instead of waiting forever (docs/design.md, "Figures").
TEST(Readiness, EndOfStreamRightBehindDataIsSeen) {
  tide::testing::run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    auto reader = tide::spawn([](int fd) -> Task<std::size_t> {
      std::array<std::byte, 1024> buf{};
      std::size_t first = co_await tide::io::recv(fd, buf);  // waits: nothing sent yet
      std::size_t second = co_await tide::io::recv(fd, buf);
      co_return first * 1000 + second;
    }(b.get()));
    co_await tide::yield_now();  // the reader now waits in the backend
    EXPECT_EQ(::send(a.get(), "abc", 3, 0), 3);
    ::shutdown(a.get(), SHUT_WR);
    EXPECT_EQ(co_await reader, 3000u);  // 3 bytes, then end of stream
  });
}

}  // namespace
