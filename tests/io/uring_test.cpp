// io_uring-specific behaviour: a tiny submission ring, a tiny completion ring, and
// cancellation racing with completion. Each test builds its own io_uring loop, so it runs once
// (in the io_uring pass of the suite) and is skipped in the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/acceptor.hpp>
#include <tide/io/buffer_pool.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/pipe.hpp>
#include <tide/io/receiver.hpp>

#include "sockets.hpp"
#include "streams.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::io::Pipe;

// The io_uring pass of the suite (TIDE_BACKEND=io_uring, or unset on a machine that has it).
bool io_uring_pass() {
  const char* env = std::getenv("TIDE_BACKEND");
  if (env != nullptr && std::string(env) != "io_uring") return false;
  if (std::getenv("TIDE_EXPECT_URING_REFUSED") != nullptr) return false;  // see below
  return true;
}

tide::Loop::Options uring_options(unsigned sq, unsigned cq = 0) {
  tide::Loop::Options options;
  options.backend = tide::Backend::IoUring;
  options.io_uring_sq_entries = sq;
  options.io_uring_cq_entries = cq;
  return options;
}

Task<void> write_one(Pipe& pipe, int& done, int& wrong) {
  std::size_t n = co_await pipe.write("x");
  if (n != 1) ++wrong;
  ++done;
}

// The loop iterations (Loop::stats().iterations) that a set of events happened in.
struct Ticks {
  void note() {
    const std::uint64_t now = tide::Loop::current().stats().iterations;
    first = std::min(first, now);
    last = std::max(last, now);
  }
  std::uint64_t first = UINT64_MAX;
  std::uint64_t last = 0;
};

// An eight-entry ring is flushed to the kernel whenever it fills, so ten thousand operations
// started in one tick are all submitted in that tick, and their completions (which overflow
// the sixteen-entry completion ring, and are kept by the kernel) are all reaped in one tick.
TEST(IoUring, TenThousandOperationsInOneTickThroughAnEightEntryRing) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        EXPECT_EQ(tide::Loop::current().backend_name(), "io_uring");
        Pipe pipe;  // 10,000 bytes fit in a pipe's 64 KiB
        int done = 0, wrong = 0;
        Ticks submitted, completed;
        std::vector<tide::JoinHandle<void>> writers;
        for (int i = 0; i < 10'000; ++i)
          writers.push_back(
              tide::spawn([](Pipe& p, int& d, int& w, Ticks& s, Ticks& c) -> Task<void> {
                s.note();
                co_await write_one(p, d, w);
                c.note();
              }(pipe, done, wrong, submitted, completed)));
        for (auto& w : writers)
          co_await w;
        EXPECT_EQ(done, 10'000);
        EXPECT_EQ(wrong, 0);
        EXPECT_EQ(submitted.first, submitted.last) << "the writers started in different ticks";
        EXPECT_EQ(completed.first, completed.last)
            << "completions spread over " << completed.last - completed.first + 1 << " ticks";
        EXPECT_EQ(completed.first, submitted.first + 1)
            << "not reaped in the tick after their submission";
        std::vector<std::byte> all(10'000);
        co_await pipe.read_exact(all);
      },
      uring_options(8));
}

TEST(IoUring, FiveThousandCompletionsAtOnceThroughASixteenEntryCompletionRing) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        Pipe pipe;
        int done = 0, wrong = 0;
        std::vector<tide::JoinHandle<void>> writers;
        for (int i = 0; i < 5'000; ++i)
          writers.push_back(tide::spawn(write_one(pipe, done, wrong)));
        for (auto& w : writers)
          co_await w;
        EXPECT_EQ(done, 5'000);  // each completion delivered, and exactly once
        EXPECT_EQ(wrong, 0);
      },
      uring_options(8, 16));
}

// Reads cancelled at every stage: before they start, in flight on an empty pipe, or as data
// arrives. A read cancelled in flight on an empty pipe must end with Cancelled (nothing else can
// end it); a completed read returns only bytes that were there; a cancelled one consumes
// nothing; nothing is left in flight.
TEST(IoUring, TenThousandSubmitThenCancelCyclesEndEveryOperationOnce) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        auto& loop = tide::Loop::current();
        Pipe pipe;
        std::size_t written = 0, bytes_read = 0;
        int cycle = 0, cancelled_in_flight = 0;
        bool stuck = false;
        // Not a synchronisation but a fail-safe: a cancel that never reaches the kernel leaves
        // a read on an empty pipe waiting forever. If no cycle ends for 10 s, the watchdog ends
        // that read with a byte, so the test fails below instead of hanging.
        auto watchdog =
            tide::spawn([](Pipe& p, const int& now, std::size_t& w, bool& flag) -> Task<void> {
              for (int seen = -1; seen != now;) {
                seen = now;
                co_await tide::sleep_for(10s);
              }
              flag = true;
              co_await p.write_all("!");
              ++w;
            }(pipe, cycle, written, stuck));
        for (; cycle < 10'000 && !stuck; ++cycle) {
          auto reader = tide::spawn([](Pipe& p) -> Task<std::size_t> {
            std::array<std::byte, 8> buf{};
            co_return co_await p.read(buf);
          }(pipe));
          const bool started = cycle % 3 == 0;
          if (started) co_await tide::yield_now();  // the read is submitted
          const bool writes = cycle % 7 == 0;
          if (writes) {
            co_await pipe.write_all("z");  // the read may complete as it is cancelled
            ++written;
          }
          const std::size_t in_pipe = written - bytes_read;
          const bool waits_on_empty_pipe = started && in_pipe == 0;
          if (waits_on_empty_pipe) {
            EXPECT_EQ(loop.stats().pending_io, 1u) << "cycle " << cycle;
          }
          reader.cancel();
          try {
            const std::size_t n = co_await reader;
            EXPECT_FALSE(waits_on_empty_pipe)
                << "cycle " << cycle << ": a read cancelled on an empty pipe completed";
            EXPECT_GE(n, 1u) << "cycle " << cycle;
            EXPECT_LE(n, in_pipe) << "cycle " << cycle << ": more bytes than were written";
            bytes_read += n;
          } catch (const tide::Cancelled&) {
            if (waits_on_empty_pipe) ++cancelled_in_flight;
          }
          EXPECT_EQ(loop.stats().pending_io, 0u) << "cycle " << cycle;
        }
        EXPECT_FALSE(stuck) << "a cancelled read never ended (cycle " << cycle - 1 << ")";
        EXPECT_GT(cancelled_in_flight, 1'000) << "reads in flight were rarely cancelled";
        watchdog.cancel();
        try {
          co_await watchdog;
        } catch (const tide::Cancelled&) {
        }
        // Whatever was written and not read by a completed reader is still in the pipe:
        // a cancelled read consumed nothing.
        pipe.close_write();
        std::array<std::byte, 4096> rest{};
        std::size_t left = 0;
        while (std::size_t n = co_await pipe.read(rest))
          left += n;
        EXPECT_EQ(left + bytes_read, written);
        EXPECT_EQ(written, std::size_t{(10'000 + 6) / 7});
      },
      uring_options(64));
}

TEST(IoUring, ExplicitRequestFailsClearlyWhenTheRingCannotBeBuilt) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  // An absurd ring size is refused by the kernel; the error names the backend.
  try {
    tide::Loop loop(uring_options(1u << 30));
    ADD_FAILURE() << "a ring of 2^30 entries was accepted";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("io_uring"), std::string::npos) << e.what();
  }
}

TEST(IoUring, CompletionRingSmallerThanTheSubmissionRingIsRejectedClearly) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  try {
    tide::Loop loop(uring_options(64, 16));
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("io_uring_cq_entries (16)"), std::string::npos)
        << e.what();
  }
}

// Run by ctest under `strace -e inject=io_uring_setup:error=ENOSYS` (and EPERM), with
// TIDE_EXPECT_URING_REFUSED naming the injected error: Auto falls back to epoll, and an
// explicit request fails with an error that names the backend and the cause.
TEST(IoUring, RefusedSetupFallsBackOrFailsClearly) {
  const char* expected = std::getenv("TIDE_EXPECT_URING_REFUSED");
  if (expected == nullptr) GTEST_SKIP() << "only under fault injection";
  tide::Loop automatic;
  EXPECT_EQ(automatic.backend_name(), "epoll");
  try {
    tide::Loop loop(uring_options(64));
    ADD_FAILURE() << "io_uring was set up although io_uring_setup fails";
  } catch (const std::system_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("io_uring"), std::string::npos) << what;
    if (std::string(expected) == "ENOSYS") {
      EXPECT_EQ(e.code().value(), ENOSYS);
      EXPECT_NE(what.find("no io_uring"), std::string::npos) << what;
    } else {
      EXPECT_EQ(e.code().value(), EPERM);
      EXPECT_NE(what.find("seccomp"), std::string::npos) << what;
    }
  }
}

// ---- multishot accept and recv ---------------------------------------------------------

tide::Loop::Options multishot_options(bool multishot = true) {
  tide::Loop::Options options = uring_options(256);
  options.io_uring_multishot = multishot;
  return options;
}

TEST(IoUring, OneMultishotRecvCarriesAWholeStream) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        auto [a, b] = tide::testing::stream_pair();
        tide::io::BufferPool pool(512, 4096);
        tide::io::Receiver in(b.get(), pool, 512);  // room to queue everything: no cap stop
        EXPECT_TRUE(in.multishot());
        std::string sent(1'000'000, 'x');
        for (std::size_t i = 0; i < sent.size(); ++i)
          sent[i] = static_cast<char>(i % 251);
        auto writer = tide::spawn(tide::testing::send_all(a.get(), sent, 8192));
        std::string got = co_await tide::testing::receive_all(in);
        co_await writer;
        EXPECT_TRUE(got == sent);
        EXPECT_EQ(in.arms(), 1u) << "the multishot recv ended and was re-armed mid-stream";
      },
      multishot_options());
}

// When the kernel ends a multishot operation (IORING_CQE_F_MORE cleared), the next request
// re-arms it exactly once: at the end of a stream each further receive starts one recv and
// gets one end-of-stream; after an error, each further accept starts one accept.
TEST(IoUring, AnEndedMultishotIsReArmedExactlyOncePerRequest) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        auto [a, b] = tide::testing::stream_pair();
        tide::io::BufferPool pool(4, 64);
        tide::io::Receiver in(b.get(), pool);
        a.close();
        for (std::uint64_t i = 1; i <= 5; ++i) {
          EXPECT_TRUE((co_await in.receive()).empty());
          EXPECT_EQ(in.arms(), i);
        }
        tide::io::Fd not_listening(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        tide::io::Acceptor acceptor(not_listening.get());
        EXPECT_TRUE(acceptor.multishot());
        for (std::uint64_t i = 1; i <= 5; ++i) {
          EXPECT_THROW((void)co_await acceptor.accept(), std::system_error);
          EXPECT_EQ(acceptor.arms(), i);
        }
      },
      multishot_options());
}

// Provided buffers running out ends the multishot recv (ENOBUFS); it is re-armed once a
// buffer comes back, never in a loop while none is free, and no byte is lost.
TEST(IoUring, RunningOutOfProvidedBuffersReArmsOnceABufferReturns) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        auto [a, b] = tide::testing::stream_pair();
        tide::io::BufferPool pool(2, 10);
        tide::io::Receiver in(b.get(), pool, 100);
        std::string sent;
        for (int i = 0; i < 100; ++i)
          sent += static_cast<char>('0' + i % 10);
        tide::testing::send_blocking(a.get(), sent.data(), sent.size());
        a.close();
        std::string got;
        for (;;) {
          tide::io::Chunk first = co_await in.receive();
          if (first.empty()) break;
          got += first.text();
          // Hold a buffer while the loop turns: the ring runs dry and the recv ends.
          for (int i = 0; i < 100; ++i)
            co_await tide::yield_now();
          const std::uint64_t arms_while_dry = in.arms();
          for (int i = 0; i < 100; ++i)
            co_await tide::yield_now();
          EXPECT_EQ(in.arms(), arms_while_dry) << "re-armed with no buffer free";
        }
        EXPECT_TRUE(got == sent) << got;
        EXPECT_GE(in.arms(), 2u);
        EXPECT_LE(in.arms(), 11u);  // at most once per 10-byte chunk, plus the first
      },
      multishot_options());
}

TEST(IoUring, MultishotCanBeSwitchedOff) {
  if (!io_uring_pass()) GTEST_SKIP() << "io_uring pass only";
  tide::testing::run_clean(
      []() -> Task<void> {
        auto [a, b] = tide::testing::stream_pair();
        tide::io::BufferPool pool(4, 64);
        tide::io::Receiver in(b.get(), pool);
        EXPECT_FALSE(in.multishot());
        tide::testing::send_blocking(a.get(), "abc", 3);
        EXPECT_EQ((co_await in.receive()).text(), "abc");
      },
      multishot_options(false));
}

}  // namespace
