// tide::ProcessQueue: order, bounds, the non-waiting and timed twins, cancellation that gives
// back what it took, task_done/join, item size limits; from tasks and fibres, in one process
// and across processes (each item delivered exactly once to many consumers).
#include <tide/io/process_queue.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_lock.hpp>

#include "styles.hpp"
#include "support/require.hpp"
#include "test_loop.hpp"

using namespace std::chrono_literals;

namespace {

using tide::Task;
using tide::testing::run_clean;
using tide::testing::settle;

template <class Style>
class ProcessQueueTest : public ::testing::Test {};
using Styles = ::testing::Types<tide::testing::Tasks, tide::testing::Fibres>;
TYPED_TEST_SUITE(ProcessQueueTest, Styles, tide::testing::StyleNames);

struct Empty {
  template <class Archive>
  void serialize(Archive&) {}
};

TYPED_TEST(ProcessQueueTest, HandsOutItemsInTheOrderTheyWerePut) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<int> queue(5);
    EXPECT_TRUE(queue.empty());
    for (int i : {111, 222, 333, 444, 555})
      co_await queue.put(i);  // the seed's Queue(5)
    EXPECT_EQ(queue.size(), 5u);
    EXPECT_TRUE(queue.full());
    EXPECT_FALSE(queue.try_put(666));
    std::vector<int> got;
    for (int i = 0; i < 5; ++i) {
      auto getter = TypeParam::start([&queue] { return queue.get(); });
      got.push_back(co_await getter);
    }
    EXPECT_EQ(got, (std::vector<int>{111, 222, 333, 444, 555}));
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.try_get(), std::nullopt);
    // Items whose encoding is empty are items too (not the end of the queue).
    tide::ProcessQueue<Empty> empties;
    EXPECT_TRUE(empties.try_put(Empty{}));
    EXPECT_TRUE(empties.try_get().has_value());
  });
}

TYPED_TEST(ProcessQueueTest, AGetWaitsForAPutAndAPutWaitsForRoom) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<std::string> queue(1);
    auto getter = TypeParam::start([&queue] { return queue.get(); });
    co_await settle();
    EXPECT_FALSE(getter.done());
    co_await queue.put("first");
    EXPECT_EQ(co_await getter, std::string("first"));
    co_await queue.put("second");
    auto putter = TypeParam::start([&queue] { return queue.put("third"); });
    co_await settle();
    EXPECT_FALSE(putter.done());  // no free slot
    EXPECT_EQ(co_await queue.get(), std::string("second"));
    co_await putter;  // the get freed its slot
    EXPECT_EQ(queue.try_get(), std::optional<std::string>("third"));
  });
}

TYPED_TEST(ProcessQueueTest, TimedWaitsGiveUpAndTakeNothing) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<int> queue(1);
    auto late = TypeParam::start([&queue] { return queue.get_for(1ms); });
    EXPECT_EQ(co_await late, std::nullopt);  // Python's queue.Empty
    EXPECT_TRUE(co_await queue.put_for(1, 1s));
    auto blocked = TypeParam::start([&queue] { return queue.put_for(2, 1ms); });
    EXPECT_FALSE(co_await blocked);  // Python's queue.Full
    // The timed-out put gave its place back and queued nothing: one item, one slot.
    EXPECT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue.unfinished(), 1u);
    EXPECT_EQ(co_await queue.get(), 1);
    EXPECT_TRUE(queue.try_put(3));
    EXPECT_FALSE(queue.try_put(4));
    EXPECT_EQ(queue.try_get(), std::optional<int>(3));
  });
}

// A cancelled getter takes nothing: the next item goes to the next getter.
TYPED_TEST(ProcessQueueTest, ACancelledGetTakesNothing) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<int> queue;
    auto doomed = TypeParam::start([&queue] { return queue.get(); });
    co_await settle();
    TypeParam::stop(doomed);
    EXPECT_THROW(co_await doomed, tide::Cancelled);
    co_await queue.put(7);
    auto next = TypeParam::start([&queue] { return queue.get(); });
    EXPECT_EQ(co_await next, 7);
  });
}

// A put cancelled while it holds a slot and waits for room in the socket (the kernel's
// buffer is full of large items) gives the slot and its counts back.
TYPED_TEST(ProcessQueueTest, ACancelledPutGivesBackItsSlotAndCounts) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<std::string> queue(1000);
    const std::string big(queue.max_item_size() / 2, 'b');
    std::size_t queued = 0;
    while (queue.try_put(big))
      ++queued;  // until the socket is full, far below 1000 slots
    EXPECT_FALSE(queue.full());
    EXPECT_EQ(queue.size(), queued);
    auto doomed = TypeParam::start([&] { return queue.put(big); });
    // Counted once it holds a slot and waits to send (on io_uring, the slot's eventfd read
    // completes through the ring: wait for it rather than for a number of turns).
    co_await tide::timeout(5s, [&]() -> Task<void> {
      while (queue.size() != queued + 1)
        co_await tide::sleep_for(1ms);
    }());
    co_await settle();
    EXPECT_FALSE(doomed.done());
    TypeParam::stop(doomed);
    EXPECT_THROW(co_await doomed, tide::Cancelled);
    EXPECT_EQ(queue.size(), queued);
    EXPECT_EQ(queue.unfinished(), queued);
    for (std::size_t i = 0; i < queued; ++i) {
      const std::string item = co_await queue.get();
      EXPECT_EQ(item.size(), big.size());
      queue.task_done();
    }
    EXPECT_EQ(queue.unfinished(), 0u);
    // (would wait forever if the cancelled put were still counted)
    co_await tide::timeout(5s, queue.join());
    // Every one of the 1000 slots is free again.
    for (int i = 0; i < 1000; ++i)
      EXPECT_TRUE(queue.try_put(std::string("s")));
    EXPECT_FALSE(queue.try_put(std::string("s")));
    while (queue.try_get()) {
    }
  });
}

TYPED_TEST(ProcessQueueTest, JoinReturnsOnlyAfterTheLastTaskDone) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<int> queue;
    co_await queue.join();  // nothing outstanding: at once
    for (int i = 0; i < 3; ++i)
      co_await queue.put(i);
    auto joiner = TypeParam::start([&queue] { return queue.join(); });
    for (int i = 0; i < 3; ++i) {
      (void)co_await queue.get();
      co_await settle();
      EXPECT_FALSE(joiner.done()) << "join returned before item " << i << " was done";
      queue.task_done();
    }
    co_await tide::timeout(5s, std::move(joiner));
    EXPECT_EQ(queue.unfinished(), 0u);
    EXPECT_THROW(queue.task_done(), tide::UsageError);
  });
}

TYPED_TEST(ProcessQueueTest, AnItemLargerThanARecordIsMessageTooLong) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<std::string> queue;
    // A std::string encodes as an 8-byte length and its characters.
    const std::string largest(queue.max_item_size() - 8, 'x');
    auto putter = TypeParam::start([&] { return queue.put(largest); });
    co_await putter;  // exactly the limit: the kernel takes it
    const std::string item = co_await queue.get();
    EXPECT_EQ(item.size(), largest.size());
    queue.task_done();
    const std::string too_long(queue.max_item_size() - 7, 'x');
    auto refused = TypeParam::start([&] { return queue.put(too_long); });
    try {
      co_await refused;
      ADD_FAILURE() << "no MessageTooLong";
    } catch (const tide::MessageTooLong& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(too_long.size() + 8)), std::string::npos)
          << e.what();
    }
    EXPECT_THROW((void)queue.try_put(too_long), tide::MessageTooLong);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.unfinished(), 0u);
  });
}

TEST(ProcessQueue, ClosedHandlesRefuseWithUsageError) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<int> queue;
    queue.close();
    EXPECT_TRUE(queue.closed());
    EXPECT_THROW((void)queue.try_put(1), tide::UsageError);
    EXPECT_THROW(co_await queue.get(), tide::UsageError);
    EXPECT_THROW(queue.task_done(), tide::UsageError);
  });
}

// Three consumer processes (two run tasks, one a fibre) and two producer processes share one
// queue: every item is delivered to exactly one consumer, and the parent's join returns only
// once the consumers have marked all of them done. The consumers wait at a gate (a
// ProcessLock the parent holds) until every item is queued and the parent's join is waiting,
// so the count cannot reach zero early and a join that returned too soon shows.
TEST(ProcessQueueAcrossProcesses, EveryItemGoesToExactlyOneConsumer) {
  run_clean([]() -> Task<void> {
    constexpr int per_producer = 200;  // 400 small records fit any socket buffer
    tide::ProcessQueue<int> items;
    tide::ProcessQueue<std::pair<int, int>> taken;  // (consumer, item), back to the parent
    tide::ProcessLock gate;
    EXPECT_TRUE(gate.try_lock());
    const tide::ProcessOptions daemon{.daemon = true};  // killed when its Process goes
    std::vector<tide::Process> consumers;
    for (int c = 0; c < 2; ++c)
      consumers.push_back(tide::Process::start(daemon, [&, c]() -> Task<void> {
        co_await gate.lock();
        gate.unlock();
        for (;;) {
          const int item = co_await items.get();
          co_await taken.put({c, item});
          items.task_done();
        }
      }));
    consumers.push_back(tide::Process::start(daemon, [&] {  // a fibre
      tide::await(gate.lock());
      gate.unlock();
      for (;;) {
        const int item = tide::await(items.get());
        tide::await(taken.put({2, item}));
        items.task_done();
      }
    }));
    std::vector<tide::Process> producers;
    for (int p = 0; p < 2; ++p)
      producers.push_back(tide::Process::start([&, p]() -> Task<void> {
        for (int i = 0; i < per_producer; ++i)
          co_await items.put(p * per_producer + i);
      }));
    for (auto& producer : producers)
      EXPECT_EQ(co_await producer.wait(), 0);
    EXPECT_EQ(items.size(), 2u * per_producer);
    auto joiner = tide::spawn(items.join());
    co_await settle();
    EXPECT_FALSE(joiner.done()) << "join returned with every item still queued";
    // The parent drains `taken` meanwhile (a socket buffer may hold fewer records than that).
    std::multiset<int> seen;
    auto collector = tide::spawn(
        [](tide::ProcessQueue<std::pair<int, int>>& from, std::multiset<int>& into) -> Task<void> {
          for (;;) {
            const std::pair<int, int> record = co_await from.get();
            into.insert(record.second);
          }
        }(taken, seen));
    gate.unlock();
    co_await tide::timeout(20s, std::move(joiner));
    // Every item's record was queued before its task_done, so once join returns all of them
    // are in `seen` or still in `taken`.
    collector.cancel();
    EXPECT_THROW(co_await collector, tide::Cancelled);
    while (auto record = taken.try_get())
      seen.insert(record->second);
    EXPECT_EQ(seen.size(), 2u * per_producer);
    for (int i = 0; i < 2 * per_producer; ++i)
      EXPECT_EQ(seen.count(i), 1u) << "item " << i;
    EXPECT_TRUE(items.empty());
    // the daemon consumers are killed and reaped when their Process handles go
  });
}

}  // namespace
