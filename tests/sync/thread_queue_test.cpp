// tide::ThreadQueue: a queue between plain threads and tasks or fibres on any loops.
#include <tide/sync/thread_queue.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>
#include <tide/sync/thread_event.hpp>

#include "cross_thread.hpp"
#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::ThreadQueue;
using tide::testing::await_in;
using tide::testing::LoopParty;
using tide::testing::settle;
using tide::testing::Style;

constexpr int kThreads = 4;
constexpr long kItemsEach = 100'000;
constexpr std::size_t kBound = 64;

// Item `i` of producer `p`: unique across producers.
long item(int p, long i) {
  return p * kItemsEach + i;
}
// Each producer's items reach any one consumer in the order they were put (FIFO).
bool in_order_per_producer(const std::vector<long>& part) {
  std::vector<long> last(kThreads, -1);
  for (long v : part) {
    const auto p = static_cast<std::size_t>(v / kItemsEach);
    if (v <= last[p]) return false;
    last[p] = v;
  }
  return true;
}
std::vector<long> all_items() {
  std::vector<long> v;
  for (int p = 0; p < kThreads; ++p)
    for (long i = 0; i < kItemsEach; ++i)
      v.push_back(item(p, i));
  return v;
}

// A loop-side consumer: takes items until the queue is closed and drained.
Task<std::vector<long>> drain_task(ThreadQueue<long>& q) {
  std::vector<long> got;
  try {
    for (;;)
      got.push_back(co_await q.get());
  } catch (const tide::QueueClosed&) {
  }
  co_return got;
}
std::vector<long> drain_fibre(ThreadQueue<long>& q) {
  std::vector<long> got;
  try {
    for (;;)
      got.push_back(tide::await(q.get()));
  } catch (const tide::QueueClosed&) {
  }
  return got;
}
LoopParty<std::vector<long>> start_drain(Style style, ThreadQueue<long>& q) {
  if (style == Style::task) return LoopParty<std::vector<long>>(tide::spawn(drain_task(q)));
  return LoopParty<std::vector<long>>(tide::spawn_fiber([&q] { return drain_fibre(q); }));
}

// A loop-side producer: puts producer `p`'s items.
Task<void> fill_task(ThreadQueue<long>& q, int p) {
  for (long i = 0; i < kItemsEach; ++i)
    co_await q.put(item(p, i));
}
LoopParty<void> start_fill(Style style, ThreadQueue<long>& q, int p) {
  if (style == Style::task) return LoopParty<void>(tide::spawn(fill_task(q, p)));
  return LoopParty<void>(tide::spawn_fiber([&q, p] {
    for (long i = 0; i < kItemsEach; ++i)
      tide::await(q.put(item(p, i)));
  }));
}

class ThreadQueueFrom : public ::testing::TestWithParam<Style> {};
INSTANTIATE_TEST_SUITE_P(Styles, ThreadQueueFrom, ::testing::Values(Style::task, Style::fibre),
                         tide::testing::style_name);

TEST_P(ThreadQueueFrom, ThreadsFeedLoopWaitersEveryItemExactlyOnce) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<long> q(kBound);
    std::vector<LoopParty<std::vector<long>>> consumers;
    for (int c = 0; c < kThreads; ++c)
      consumers.push_back(start_drain(style, q));
    // The producers block while the queue is full: only a thread may wait for them.
    std::thread closer([&q] {
      std::vector<std::thread> producers;
      for (int p = 0; p < kThreads; ++p)
        producers.emplace_back([&q, p] {
          for (long i = 0; i < kItemsEach; ++i)
            q.put(item(p, i));
        });
      for (auto& t : producers)
        t.join();
      q.close();
    });
    std::vector<long> got;
    for (auto& c : consumers) {
      auto part = co_await c.result();
      EXPECT_TRUE(in_order_per_producer(part));
      got.insert(got.end(), part.begin(), part.end());
    }
    closer.join();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, all_items());
    EXPECT_EQ(q.size(), 0u);
  });
}

TEST_P(ThreadQueueFrom, LoopWaitersFeedThreadsEveryItemExactlyOnce) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<long> q(kBound);
    std::vector<std::vector<long>> parts(kThreads);
    std::vector<std::thread> consumers;
    for (int c = 0; c < kThreads; ++c)
      consumers.emplace_back([&q, &part = parts[c]] {
        try {
          for (;;) {
            long v = q.get();
            part.push_back(v);
          }
        } catch (const tide::QueueClosed&) {
        }
      });
    std::vector<LoopParty<void>> producers;
    for (int p = 0; p < kThreads; ++p)
      producers.push_back(start_fill(style, q, p));
    for (auto& p : producers)
      co_await p.result();
    q.close();  // the threads drain what is left, then see QueueClosed
    for (auto& t : consumers)
      t.join();
    std::vector<long> got;
    for (auto& part : parts) {
      EXPECT_TRUE(in_order_per_producer(part));
      got.insert(got.end(), part.begin(), part.end());
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, all_items());
  });
}

TEST_P(ThreadQueueFrom, WaitersAreServedInTheOrderTheyCame) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    auto first = await_in(style, [&] { return q.get(); });
    co_await settle();
    auto second = await_in(style, [&] { return q.get(); });
    co_await settle();
    std::thread([&] {
      q.put(1);
      q.put(2);
    }).join();
    EXPECT_EQ(co_await first.result(), 1);
    EXPECT_EQ(co_await second.result(), 2);
  });
}

TEST_P(ThreadQueueFrom, ACancelledGetterTakesNothingAndTheItemGoesToTheNext) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    auto first = await_in(style, [&] { return q.get(); });
    co_await settle();
    auto second = await_in(style, [&] { return q.get(); });
    co_await settle();
    first.cancel();
    EXPECT_THROW(co_await first.result(), tide::Cancelled);
    std::thread([&] { q.put(7); }).join();
    EXPECT_EQ(co_await tide::timeout(10s, second.result()), 7);  // fails, not hangs, if lost
    EXPECT_EQ(q.size(), 0u);
  });
}

TEST_P(ThreadQueueFrom, AGetterCancelledAfterItWasHandedAnItemGivesItBack) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    auto first = await_in(style, [&] { return q.get(); });
    co_await settle();
    auto second = await_in(style, [&] { return q.get(); });
    co_await settle();
    std::thread([&] { q.put(7); }).join();  // handed to `first`; its wake-up is on its way
    first.cancel();                         // before it resumed: 7 goes to `second`
    EXPECT_THROW(co_await first.result(), tide::Cancelled);
    EXPECT_EQ(co_await tide::timeout(10s, second.result()), 7);  // fails, not hangs, if lost

    // With nobody else waiting, it goes back into the queue, in front.
    auto third = await_in(style, [&] { return q.get(); });
    co_await settle();
    std::thread([&] { q.put(8); }).join();
    EXPECT_TRUE(q.try_put(9));
    third.cancel();
    EXPECT_THROW(co_await third.result(), tide::Cancelled);
    EXPECT_EQ(q.try_get(), std::optional<int>(8));
    EXPECT_EQ(q.try_get(), std::optional<int>(9));
  });
}

TEST_P(ThreadQueueFrom, AGetThatTimesOutTakesNothing) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    auto late = await_in(style, [&] { return tide::timeout(5ms, q.get()); });
    auto patient = await_in(style, [&] { return q.get(); });
    EXPECT_THROW(co_await late.result(), tide::TimeoutError);
    std::thread([&] { q.put(3); }).join();
    EXPECT_EQ(co_await patient.result(), 3);
    EXPECT_EQ(q.size(), 0u);
  });
}

TEST(ThreadQueue, ARefusedTryPutLeavesTheItemWithTheCaller) {
  ThreadQueue<std::unique_ptr<int>> q(1);
  auto first = std::make_unique<int>(1);
  auto second = std::make_unique<int>(2);
  EXPECT_TRUE(q.try_put(std::move(first)));
  EXPECT_EQ(first, nullptr);
  EXPECT_FALSE(q.try_put(std::move(second)));  // full
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*second, 2);
}

TEST_P(ThreadQueueFrom, APutWaitsForRoomUntilAThreadTakesAnItem) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q(1);
    EXPECT_TRUE(q.try_put(1));
    EXPECT_FALSE(q.try_put(99));
    auto put = await_in(style, [&] { return q.put(2); });
    co_await settle();
    EXPECT_FALSE(put.done());
    int taken = 0;
    std::thread([&] { taken = q.get(); }).join();
    EXPECT_EQ(taken, 1);
    co_await put.result();
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.try_get(), std::optional<int>(2));
  });
}

TEST_P(ThreadQueueFrom, ACancelledPutLeavesNoItemBehind) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q(1);
    EXPECT_TRUE(q.try_put(1));
    auto put = await_in(style, [&] { return q.put(2); });
    co_await settle();
    put.cancel();
    EXPECT_THROW(co_await put.result(), tide::Cancelled);
    EXPECT_EQ(q.try_get(), std::optional<int>(1));
    EXPECT_EQ(q.try_get(), std::nullopt);  // 2 was never put, and no room is taken for it
    EXPECT_TRUE(q.try_put(3));
  });
}

TEST_P(ThreadQueueFrom, APutThatTimesOutLeavesNoItemBehind) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q(1);
    EXPECT_TRUE(q.try_put(1));
    auto put = await_in(style, [&] { return tide::timeout(5ms, q.put(2)); });
    EXPECT_THROW(co_await put.result(), tide::TimeoutError);
    EXPECT_EQ(q.try_get(), std::optional<int>(1));
    EXPECT_EQ(q.try_get(), std::nullopt);
  });
}

TEST_P(ThreadQueueFrom, GetForGivesUpWhenNoItemComesInTimeAndTakesNothing) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    auto late = await_in(style, [&] { return q.get_for(5ms); });
    auto patient = await_in(style, [&] { return q.get(); });
    EXPECT_EQ(co_await late.result(), std::nullopt);
    std::optional<int> from_thread = 0;
    std::thread([&] { from_thread = q.get_for(5ms); }).join();
    EXPECT_EQ(from_thread, std::nullopt);
    std::thread([&] { q.put(3); }).join();
    EXPECT_EQ(co_await tide::timeout(10s, patient.result()), 3);
    // An item that is there is taken at once, even with no time to wait.
    EXPECT_TRUE(q.try_put(4));
    EXPECT_EQ(co_await await_in(style, [&] { return q.get_for(0s); }).result(), 4);
  });
}

TEST_P(ThreadQueueFrom, AnItemHandedOverBeforeTheDeadlineFiresIsKept) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    // The put must come while the getter still waits; on a loaded machine the deadline can
    // pass before the getter has settled, so a round whose getter already gave up is run
    // again with a longer deadline (the property is checked only when the put came first).
    for (auto deadline = 5ms;; deadline *= 4) {
      ThreadQueue<int> q;
      auto getter = await_in(style, [&] { return q.get_for(deadline); });
      co_await settle();
      if (getter.done() && deadline < 5s) {
        EXPECT_EQ(co_await getter.result(), std::nullopt);
        continue;
      }
      std::thread([&] { q.put(6); }).join();  // handed over; the wake-up waits for the loop
      // Hold the loop past the deadline: its next turn fires the timer, then runs the wake-up.
      std::this_thread::sleep_for(deadline + 5ms);
      EXPECT_EQ(co_await getter.result(), std::optional<int>(6));
      EXPECT_EQ(q.size(), 0u);
      break;
    }
  });
}

TEST_P(ThreadQueueFrom, PutForGivesUpWhenNoRoomComesInTime) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q(1);
    EXPECT_TRUE(co_await await_in(style, [&] { return q.put_for(1, 0s); }).result());
    EXPECT_FALSE(co_await await_in(style, [&] { return q.put_for(2, 5ms); }).result());
    bool from_thread = true;
    std::thread([&] { from_thread = q.put_for(3, 5ms); }).join();
    EXPECT_FALSE(from_thread);
    EXPECT_EQ(q.try_get(), std::optional<int>(1));
    EXPECT_EQ(q.try_get(), std::nullopt);  // neither 2 nor 3 went in
  });
}

TEST_P(ThreadQueueFrom, CloseWakesWaitingGettersAndPuttersOnBothSides) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> empty;
    ThreadQueue<int> full(1);
    EXPECT_TRUE(full.try_put(1));
    auto getter = await_in(style, [&] { return empty.get(); });
    auto putter = await_in(style, [&] { return full.put(2); });
    co_await settle();
    bool thread_get_closed = false;
    bool thread_put_closed = false;
    std::atomic<pid_t> get_tid{0}, put_tid{0};
    std::thread get_thread([&] {
      get_tid = tide::testing::this_thread_id();
      try {
        [[maybe_unused]] int v = empty.get();
      } catch (const tide::QueueClosed&) {
        thread_get_closed = true;
      }
    });
    std::thread put_thread([&] {
      put_tid = tide::testing::this_thread_id();
      try {
        full.put(3);
      } catch (const tide::QueueClosed&) {
        thread_put_closed = true;
      }
    });
    while (get_tid == 0 || put_tid == 0)
      std::this_thread::yield();
    EXPECT_TRUE(tide::testing::becomes_blocked(get_tid));
    EXPECT_TRUE(tide::testing::becomes_blocked(put_tid));
    empty.close();
    full.close();
    get_thread.join();
    put_thread.join();
    EXPECT_TRUE(thread_get_closed);
    EXPECT_TRUE(thread_put_closed);
    EXPECT_THROW(co_await getter.result(), tide::QueueClosed);
    EXPECT_THROW(co_await putter.result(), tide::QueueClosed);
    // What was in before the close is still taken; then the queue says it is closed.
    EXPECT_EQ(full.try_get(), std::optional<int>(1));
    EXPECT_THROW(full.try_get(), tide::QueueClosed);
    EXPECT_THROW(full.try_put(4), tide::QueueClosed);
  });
}

TEST_P(ThreadQueueFrom, GetsDrainAClosedQueueThenRaiseQueueClosed) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    EXPECT_TRUE(q.try_put(1));
    q.close();
    EXPECT_EQ(co_await await_in(style, [&] { return q.get(); }).result(), 1);
    EXPECT_THROW(co_await await_in(style, [&] { return q.get(); }).result(), tide::QueueClosed);
    EXPECT_THROW(co_await await_in(style, [&] { return q.put(2); }).result(), tide::QueueClosed);
    bool thread_put_closed = false;
    std::thread([&] {
      try {
        q.put(2);
      } catch (const tide::QueueClosed&) {
        thread_put_closed = true;
      }
    }).join();
    EXPECT_TRUE(thread_put_closed);
  });
}

TEST_P(ThreadQueueFrom, AWokenGetterDestroyedWithItsLoopPassesItsItemOn) {
  const Style style = GetParam();
  ThreadQueue<int> q;
  {
    tide::Loop loop;
    std::optional<LoopParty<int>> getter;
    loop.run_until_complete([&]() -> Task<void> {
      getter.emplace(await_in(style, [&] { return q.get(); }));
      co_await settle();
      getter->detach();  // the loop's destruction is what ends it
    }());
    std::thread([&] { q.put(5); }).join();  // handed over; the loop never resumes it
  }
  EXPECT_EQ(q.try_get(), std::optional<int>(5));
}

TEST_P(ThreadQueueFrom, WaitersOnTwoLoopsOnTwoThreadsEachGetAnItem) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<int> q;
    tide::ThreadEvent waiting;
    int other = 0;
    // Started (and joined) inside the body, so that run_clean's fd count sees no other loop.
    std::thread second_loop([&] {
      tide::Loop loop;
      other = loop.run_until_complete([&]() -> Task<int> {
        auto getter = await_in(style, [&] { return q.get(); });
        co_await settle();
        waiting.set();
        co_return co_await getter.result();
      }());
    });
    auto getter = await_in(style, [&] { return q.get(); });
    co_await waiting.wait();
    std::thread([&] {
      q.put(1);
      q.put(2);
    }).join();
    const int mine = co_await getter.result();
    second_loop.join();
    EXPECT_EQ(std::min(mine, other), 1);
    EXPECT_EQ(std::max(mine, other), 2);
  });
}

TEST_P(ThreadQueueFrom, CarriesMoveOnlyItems) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadQueue<std::unique_ptr<int>> q(1);
    auto getter = await_in(style, [&] { return q.get(); });
    co_await settle();
    std::thread([&] { q.put(std::make_unique<int>(1)); }).join();
    EXPECT_EQ(*co_await getter.result(), 1);
    co_await await_in(style, [&] { return q.put(std::make_unique<int>(2)); }).result();
    std::unique_ptr<int> back;
    std::thread([&] { back = q.get(); }).join();
    EXPECT_EQ(*back, 2);
  });
}

// Python's queue.Queue(5) walk-through, from a plain thread: full after five puts, FIFO out.
TEST(ThreadQueue, FillsUpToItsMaxsizeAndHandsItemsOutOldestFirst) {
  ThreadQueue<int> q(5);
  EXPECT_TRUE(q.empty());
  for (int v : {111, 222, 333})
    q.put(v);
  EXPECT_FALSE(q.full());
  q.put(444);
  q.put(555);
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.try_put(666));
  EXPECT_EQ(q.size(), 5u);
  for (int v : {111, 222, 333, 444, 555}) {
    int got = q.get();
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.try_get(), std::nullopt);
}

TEST(ThreadQueue, BlockingFormsInATaskOnARunningLoopAreUsageErrors) {
  tide::testing::run_clean([]() -> Task<void> {
    ThreadQueue<int> q;
    EXPECT_TRUE(q.try_put(1));
    try {
      [[maybe_unused]] int v = q.get();
      ADD_FAILURE() << "get() blocked inside a task";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(": get() would block the loop"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(q.put(2), tide::UsageError);
    EXPECT_EQ(q.size(), 1u);
    co_return;
  });
}

TEST(ThreadQueue, BlockingFormsInAFibreSuspendOnlyTheFibre) {
  tide::testing::run_clean([]() -> Task<void> {
    ThreadQueue<int> q(1);
    auto fibre = tide::spawn_fiber([&q] {
      int v = q.get();  // suspends the fibre
      q.put(v + 1);     // fits
      q.put(v + 2);     // waits for room, suspended
      return v;
    });
    co_await settle();
    std::thread([&] { q.put(10); }).join();
    while (q.size() == 0)  // until the fibre has put 11 and waits to put 12
      co_await tide::yield_now();
    EXPECT_FALSE(fibre.done());
    EXPECT_EQ(q.try_get(), std::optional<int>(11));  // makes room: 12 goes in
    EXPECT_EQ(co_await fibre.join(), 10);
    EXPECT_EQ(q.try_get(), std::optional<int>(12));
  });
}

TEST(ThreadQueue, ALoopWaitingOnlyForAThreadQueueSleeps) {
  tide::testing::run_clean([]() -> Task<void> {
    ThreadQueue<int> q;
    const pid_t loop_thread = tide::testing::this_thread_id();
    bool slept = false;
    std::thread producer([&] {
      // The loop thread sleeps in the kernel (not spinning) before the item comes.
      slept = tide::testing::becomes_blocked(loop_thread);
      // A window in which a polling loop would turn (a timer-driven poll sleeps in the kernel
      // too, between its turns): the sleeping loop does not turn at all, however long it is.
      std::this_thread::sleep_for(20ms);
      q.put(1);
    });
    const auto before = tide::Loop::current().stats().iterations;
    EXPECT_EQ(co_await q.get(), 1);
    const auto turns = tide::Loop::current().stats().iterations - before;
    producer.join();
    EXPECT_TRUE(slept);
    EXPECT_LE(turns, 3u);  // the wait, and the wake-up: no turns while idle
  });
}

}  // namespace
