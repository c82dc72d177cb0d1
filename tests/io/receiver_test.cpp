// io::Receiver and io::BufferPool on every backend: bytes arrive complete and in order,
// whether the backend receives with one multishot operation (io_uring) or one recv per
// request (epoll, poll); pool exhaustion, cancellation and destruction lose nothing.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/buffer_pool.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/pipe.hpp>
#include <tide/io/receiver.hpp>

#include "sockets.hpp"
#include "streams.hpp"
#include "test_loop.hpp"

namespace {

using tide::Task;
using tide::io::BufferPool;
using tide::io::Chunk;
using tide::io::Receiver;
using tide::testing::receive_all;
using tide::testing::run_clean;
using tide::testing::send_all;

// A byte pattern that shows any loss, duplication or reordering.
std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

TEST(Receiver, DeliversAStreamCompleteAndInOrder) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(8, 1024);
    Receiver in(b.get(), pool);
    const std::string sent = pattern(300'000);
    auto writer = tide::spawn(send_all(a.get(), sent, 7'000));
    std::string got = co_await receive_all(in);
    co_await writer;
    EXPECT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent) << "bytes lost, repeated or reordered";
    EXPECT_EQ(pool.available(), pool.count());
    // Every arm yields at least one chunk or ends the stream: a spinning re-arm would not.
    EXPECT_LE(in.arms(), sent.size() / 1 + 1);
  });
}

TEST(Receiver, EndOfStreamIsAnEmptyChunkAndStaysSo) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(4, 64);
    Receiver in(b.get(), pool);
    tide::testing::send_blocking(a.get(), "hi", 2);
    a.close();
    Chunk c = co_await in.receive();
    EXPECT_EQ(c.text(), "hi");
    EXPECT_TRUE((co_await in.receive()).empty());
    EXPECT_TRUE((co_await in.receive()).empty());
  });
}

// A reader that keeps every chunk holds every buffer: the receiver then waits for one to come
// back instead of failing or spinning, and continues where it stopped.
TEST(Receiver, WaitsForABufferWhenThePoolIsExhausted) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(4, 100);
    Receiver in(b.get(), pool);
    const std::string sent = pattern(4'000);
    tide::testing::send_blocking(a.get(), sent.data(), sent.size());
    a.close();
    std::vector<Chunk> held;
    std::string got;
    while (held.size() < 4) {
      held.push_back(co_await in.receive());
      got += held.back().text();
    }
    EXPECT_EQ(pool.available(), 0u);
    // No buffer is free: the next receive must wait until one is given back.
    auto next = tide::spawn([](Receiver& r) -> Task<std::string> {
      Chunk c = co_await r.receive();
      co_return std::string(c.text());
    }(in));
    for (int i = 0; i < 20; ++i)
      co_await tide::yield_now();
    EXPECT_FALSE(next.done()) << "received without a free buffer";
    held.erase(held.begin());  // one buffer back
    got += co_await next;
    held.clear();
    got += co_await receive_all(in);
    EXPECT_TRUE(got == sent) << "got " << got.size() << " of " << sent.size() << " bytes";
    EXPECT_LE(in.arms(), sent.size() / 100 + 2) << "re-armed more than once per end";
    EXPECT_EQ(pool.available(), pool.count());
  });
}

// A peer sending far ahead of its reader is held back to about `max_queued` chunks (the rest
// waits in the socket), so it cannot take every buffer of a shared pool. The kernel may post a
// few dozen completions before the cancel that enforces the cap reaches it (6.x kernels retry
// a multishot recv up to 32 times in one go), hence the slack.
TEST(Receiver, QueuesAtMostAboutMaxQueuedChunksAhead) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(1024, 512);
    Receiver in(b.get(), pool, 4);
    const std::string sent = pattern(400 * 512);
    auto writer = tide::spawn(send_all(a.get(), sent, 512));
    Chunk first = co_await in.receive();
    std::string got(first.text());
    first.reset();
    // Let the receiver run ahead: until it reaches the cap (multishot), or for a while (one
    // recv per request: nothing is received ahead).
    for (int i = 0; i < 20'000 && in.queued() < 4; ++i)
      co_await tide::yield_now();
    std::size_t peak = in.queued();
    for (int i = 0; i < 2'000; ++i) {
      co_await tide::yield_now();
      peak = std::max(peak, in.queued());
    }
    if (in.multishot()) {
      EXPECT_GE(peak, 4u);
    } else {
      EXPECT_EQ(peak, 0u);
    }
    got += co_await receive_all(in);
    co_await writer;
    EXPECT_TRUE(got == sent);
    EXPECT_LE(peak, 4u + 64u) << "the cap did not hold the receiver back";
    if (in.multishot()) {
      EXPECT_GE(in.arms(), 2u) << "never stopped at the cap";
    }
    EXPECT_EQ(pool.available(), pool.count());
  });
}

TEST(Receiver, ACancelledReceiveTakesNothing) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(4, 64);
    Receiver in(b.get(), pool);
    auto waiting = tide::spawn([](Receiver& r) -> Task<void> { (void)co_await r.receive(); }(in));
    co_await tide::yield_now();
    waiting.cancel();
    bool cancelled = false;
    try {
      co_await waiting;
    } catch (const tide::Cancelled&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    tide::testing::send_blocking(a.get(), "data", 4);
    Chunk c = co_await in.receive();
    EXPECT_EQ(c.text(), "data");
  });
}

TEST(Receiver, DestroyingItGivesQueuedBuffersBack) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    BufferPool pool(16, 8);
    Chunk kept;
    {
      Receiver in(b.get(), pool);
      const std::string sent = pattern(100);
      tide::testing::send_blocking(a.get(), sent.data(), sent.size());
      kept = co_await in.receive();
      for (int i = 0; i < 5; ++i)
        co_await tide::yield_now();  // let more arrive and queue
    }
    EXPECT_EQ(pool.available(), pool.count() - 1);  // only the kept chunk's buffer is out
    EXPECT_EQ(kept.size(), 8u);
    kept.reset();
    EXPECT_EQ(pool.available(), pool.count());
  });
}

TEST(Receiver, AChunkKeepsItsPoolAlive) {
  run_clean([]() -> Task<void> {
    auto [a, b] = tide::testing::stream_pair();
    Chunk kept;
    {
      BufferPool pool(2, 16);
      Receiver in(b.get(), pool);
      tide::testing::send_blocking(a.get(), "survives", 8);
      kept = co_await in.receive();
    }
    EXPECT_EQ(kept.text(), "survives");
  });
}

TEST(Receiver, ErrorsNameTheOperationAndFd) {
  run_clean([]() -> Task<void> {
    tide::io::Pipe pipe;  // recv on a pipe: ENOTSOCK
    BufferPool pool(2, 16);
    Receiver in(pipe.read_fd(), pool);
    co_await pipe.write("x");
    int code = 0;
    std::string what;
    try {
      (void)co_await in.receive();
    } catch (const std::system_error& e) {
      code = e.code().value();
      what = e.what();
    }
    EXPECT_EQ(code, ENOTSOCK);
    EXPECT_NE(what.find("recv from fd " + std::to_string(pipe.read_fd())), std::string::npos)
        << what;
  });
}

TEST(Receiver, BadSizesAreRefused) {
  run_clean([]() -> Task<void> {
    EXPECT_THROW(BufferPool(0, 64), std::invalid_argument);
    EXPECT_THROW(BufferPool(40'000, 64), std::invalid_argument);
    EXPECT_THROW(BufferPool(4, 0), std::invalid_argument);
    BufferPool pool(1, 1);
    EXPECT_THROW(Receiver(0, pool, 0), std::invalid_argument);
    co_return;
  });
  EXPECT_THROW(BufferPool(4, 64), tide::UsageError);  // no loop running
}

}  // namespace
