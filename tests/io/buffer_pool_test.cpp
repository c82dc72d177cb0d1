// io::BufferPool on every backend: chunks share slabs (packed one after another), a slab is
// filled again only when its last chunk is gone, the pool puts slabs to use as the traffic
// needs them and never past its maximum, and a receive that waits holds no memory.
#include <tide/io/buffer_pool.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/receiver.hpp>

#include "sockets.hpp"
#include "streams.hpp"
#include "test_loop.hpp"

namespace {

using tide::Task;
using tide::io::BufferPool;
using tide::io::Chunk;
using tide::io::Fd;
using tide::io::Receiver;
using tide::testing::run_clean;
using tide::testing::send_blocking;

constexpr std::size_t slab = 64 * 1024;

// A connection: the peer's end, and a receiver on ours.
struct Connection {
  Fd peer;
  Fd ours;
  std::unique_ptr<Receiver> in;
};

std::vector<Connection> connect_many(std::size_t n, const BufferPool& pool) {
  std::vector<Connection> all;
  for (std::size_t i = 0; i < n; ++i) {
    auto [a, b] = tide::testing::stream_pair();
    Connection c{std::move(a), std::move(b), nullptr};
    c.in = std::make_unique<Receiver>(c.ours.get(), pool);
    all.push_back(std::move(c));
  }
  return all;
}

std::string message(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>('a' + (static_cast<std::size_t>(seed) + i * 7 + i / 253) % 26);
  return s;
}

// Set by a test body that found the pool not packing (io_uring before Linux 6.12): the test
// is then skipped (GTEST_SKIP cannot be used inside a coroutine).
bool one_chunk_per_buffer = false;
#define TIDE_SKIP_IF_ONE_CHUNK_PER_BUFFER() \
  if (std::exchange(one_chunk_per_buffer, false)) GTEST_SKIP() << "io_uring before Linux 6.12"

// io_uring as on kernels before 6.12: each receive takes a whole buffer (elsewhere the same).
tide::Loop::Options one_chunk_per_buffer_options() {
  tide::Loop::Options options;
  options.io_uring_incremental_buffers = false;
  return options;
}

// Slabs holding chunks: what the pool's chunks take at the moment.
std::size_t slabs_in_use(const BufferPool& pool) {
  return pool.count() - pool.available();
}

TEST(BufferPool, SmallMessagesFromManyConnectionsPackIntoFewSlabs) {
  run_clean([]() -> Task<void> {
    BufferPool pool(64, slab);
    if (!pool.packs()) {
      one_chunk_per_buffer = true;
      co_return;
    }
    auto conns = connect_many(200, pool);
    std::vector<Chunk> held;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      const std::string m = message(64, static_cast<char>(i));
      send_blocking(conns[i].peer.get(), m.data(), m.size());
      held.push_back(co_await conns[i].in->receive());
      EXPECT_EQ(held.back().text(), m);
    }
    // 200 x 64 B = 12.5 KiB: one slab, or two if the kernel started a second.
    EXPECT_LE(slabs_in_use(pool), 2u);
    EXPECT_LE(pool.touched(), 4 * slab) << "slabs put to use for a few KiB of data";
    held.clear();
    EXPECT_EQ(pool.available(), pool.count());
  });
  TIDE_SKIP_IF_ONE_CHUNK_PER_BUFFER();
}

TEST(BufferPool, AMessageAsLargeAsASlabArrivesWhole) {
  run_clean([]() -> Task<void> {
    BufferPool pool(8, slab);
    if (!pool.packs()) {
      one_chunk_per_buffer = true;
      co_return;
    }
    auto [a, b] = tide::testing::stream_pair();
    int big = 1 << 20;
    tide::testing::check(::setsockopt(a.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big),
                         "SO_SNDBUF");
    Receiver in(b.get(), pool);
    // Into an empty slab: one chunk. After a small message: the rest of that slab and the
    // start of the next, two chunks.
    for (std::size_t lead : {std::size_t{0}, std::size_t{100}}) {
      if (lead > 0) {
        const std::string small = message(lead, 'x');
        send_blocking(a.get(), small.data(), small.size());
        EXPECT_EQ((co_await in.receive()).text(), small);
      }
      const std::string m = message(slab, static_cast<char>(lead));
      send_blocking(a.get(), m.data(), m.size());
      std::string got;
      std::vector<Chunk> chunks;
      while (got.size() < m.size()) {
        chunks.push_back(co_await in.receive());
        got += chunks.back().text();
      }
      EXPECT_TRUE(got == m);
      EXPECT_LE(chunks.size(), lead == 0 ? 1u : 2u)
          << "a " << m.size() << "-byte message in " << chunks.size() << " chunks";
    }
  });
  TIDE_SKIP_IF_ONE_CHUNK_PER_BUFFER();
}

// The kernel (or a recv) must never write into a slab while a chunk of it is held, however
// often the other slabs go round.
Task<void> aHeldChunkKeepsItsSlabOutOfUseWhileOthersCycle() {
  BufferPool pool(4, 4096);
  auto [a, b] = tide::testing::stream_pair();
  Receiver in(b.get(), pool);
  const std::string first = message(1000, 'k');
  send_blocking(a.get(), first.data(), first.size());
  Chunk kept = co_await in.receive();
  EXPECT_EQ(kept.text(), first);
  const std::string rest = message(2 << 20, 'r');
  auto writer = tide::spawn(tide::testing::send_all(a.get(), rest, 3000));
  std::string got = co_await tide::testing::receive_all(in);
  co_await writer;
  EXPECT_TRUE(got == rest) << "got " << got.size() << " of " << rest.size() << " bytes";
  EXPECT_EQ(kept.text(), first) << "the held chunk's slab was filled again";
  EXPECT_EQ(slabs_in_use(pool), 1u);
  EXPECT_LE(pool.touched(), pool.count() * pool.buffer_size());
}

TEST(BufferPool, AHeldChunkKeepsItsSlabOutOfUseWhileOthersCycle) {
  run_clean(aHeldChunkKeepsItsSlabOutOfUseWhileOthersCycle);
}
TEST(BufferPoolOneChunkPerBuffer, AHeldChunkKeepsItsSlabOutOfUseWhileOthersCycle) {
  run_clean(aHeldChunkKeepsItsSlabOutOfUseWhileOthersCycle, one_chunk_per_buffer_options());
}

// Readers that hold what they receive make the pool grow, slab by slab or ring by ring,
// until its maximum; then receivers wait, and go on when chunks are dropped.
Task<void> growsUnderLoadAndNeverPastItsMaximum() {
  BufferPool pool(64, 1024);
  auto conns = connect_many(40, pool);
  const std::size_t at_start = pool.touched();
  if (pool.packs()) {
    EXPECT_LE(at_start, 2 * pool.buffer_size());
  }
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    sent.push_back(message(2000, static_cast<char>(i)));
    send_blocking(conns[i].peer.get(), sent[i].data(), sent[i].size());
    ::shutdown(conns[i].peer.get(), SHUT_WR);
  }
  // Each reader holds every chunk it gets: 80,000 bytes do not fit in 64 KiB.
  std::vector<std::string> got(conns.size());
  std::vector<std::vector<Chunk>> held(conns.size());
  std::vector<tide::JoinHandle<void>> readers;
  for (std::size_t i = 0; i < conns.size(); ++i)
    readers.push_back(
        tide::spawn([](Receiver& in, std::string& into, std::vector<Chunk>& keep) -> Task<void> {
          for (;;) {
            Chunk c = co_await in.receive();
            if (c.empty()) co_return;
            into += c.text();
            keep.push_back(std::move(c));
          }
        }(*conns[i].in, got[i], held[i])));
  // Starved receivers make the pool grow in rounds (each round: the receivers that found the
  // ring empty try again): wait until it is full, and a little longer to see it stay there.
  std::size_t peak = 0;
  for (int turn = 0, after_full = 0; turn < 20'000 && after_full < 200; ++turn) {
    co_await tide::yield_now();
    peak = std::max(peak, pool.touched());
    if (pool.available() == 0) ++after_full;
  }
  EXPECT_EQ(pool.available(), 0u) << "readers hold chunks, yet slabs are free";
  EXPECT_EQ(peak, pool.count() * pool.buffer_size()) << "did not grow to its maximum";
  EXPECT_GT(peak, at_start);
  std::size_t done = 0;
  for (auto& r : readers)
    done += r.done() ? 1 : 0;
  EXPECT_LT(done, readers.size()) << "every reader finished inside 64 KiB";
  // Dropping what the readers hold lets the starved ones go on.
  for (int turn = 0; turn < 1000 && done < readers.size(); ++turn) {
    for (auto& h : held)
      h.clear();
    co_await tide::yield_now();
    peak = std::max(peak, pool.touched());
    done = 0;
    for (auto& r : readers)
      done += r.done() ? 1 : 0;
  }
  for (auto& r : readers)
    co_await r;
  for (std::size_t i = 0; i < conns.size(); ++i)
    EXPECT_TRUE(got[i] == sent[i]) << "connection " << i;
  EXPECT_LE(peak, pool.count() * pool.buffer_size());
  for (auto& h : held)
    h.clear();
  EXPECT_EQ(pool.available(), pool.count());
}

TEST(BufferPool, GrowsUnderLoadAndNeverPastItsMaximum) {
  run_clean(growsUnderLoadAndNeverPastItsMaximum);
}
TEST(BufferPoolOneChunkPerBuffer, GrowsUnderLoadAndNeverPastItsMaximum) {
  run_clean(growsUnderLoadAndNeverPastItsMaximum, one_chunk_per_buffer_options());
}

// An idle connection holds no memory: neither while its receive waits (epoll, poll: for
// readiness, not in a recv with a buffer; io_uring: a multishot recv takes a slab only for
// bytes that arrived) nor in slabs put to use for it.
Task<void> aWaitingReceiveHoldsNoBuffer() {
  BufferPool pool(64, 4096);
  auto conns = connect_many(500, pool);
  std::vector<tide::JoinHandle<std::string>> waiting;
  for (auto& conn : conns)
    waiting.push_back(tide::spawn([](Receiver& in) -> Task<std::string> {
      Chunk c = co_await in.receive();
      co_return std::string(c.text());
    }(*conn.in)));
  for (int i = 0; i < 10; ++i)
    co_await tide::yield_now();
  EXPECT_EQ(pool.available(), pool.count()) << "waiting receives hold buffers";
  EXPECT_LE(pool.touched(), 16 * pool.buffer_size()) << "idle connections took memory";
  for (std::size_t i = 0; i < conns.size(); ++i)
    send_blocking(conns[i].peer.get(), "ping", 4);
  for (auto& w : waiting)
    EXPECT_EQ(co_await w, "ping");
}

TEST(BufferPool, AWaitingReceiveHoldsNoBuffer) {
  run_clean(aWaitingReceiveHoldsNoBuffer);
}
TEST(BufferPoolOneChunkPerBuffer, AWaitingReceiveHoldsNoBuffer) {
  run_clean(aWaitingReceiveHoldsNoBuffer, one_chunk_per_buffer_options());
}

}  // namespace
