// detail::WaitQueue: the one wait queue under pools, receivers and (next) the sync primitives.
#include <tide/core/detail/wait_queue.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>

#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::detail::WaitQueue;

// Waits in `queue` and records `name` in `order` once woken.
Task<void> wait_then_note(WaitQueue& queue, std::vector<std::string>& order, std::string name) {
  EXPECT_EQ(co_await queue.wait(), tide::detail::WaitResult::woken);
  order.push_back(name);
}

// Lets every spawned task run until it parks (two turns: started, then suspended).
Task<void> settle() {
  co_await tide::yield_now();
  co_await tide::yield_now();
}

TEST(WaitQueue, WakesWaitersInFifoOrderOneAtATime) {
  tide::testing::run_clean([]() -> Task<void> {
    WaitQueue queue;
    std::vector<std::string> order;
    auto a = tide::spawn(wait_then_note(queue, order, "a"));
    auto b = tide::spawn(wait_then_note(queue, order, "b"));
    auto c = tide::spawn(wait_then_note(queue, order, "c"));
    co_await settle();
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_TRUE(queue.wake_one());
    co_await settle();
    EXPECT_EQ(order, std::vector<std::string>{"a"});
    EXPECT_TRUE(queue.wake_one());
    EXPECT_TRUE(queue.wake_one());
    EXPECT_FALSE(queue.wake_one());  // nobody left
    co_await a;
    co_await b;
    co_await c;
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  });
}

TEST(WaitQueue, ReadyConditionSkipsTheWaitAltogether) {
  tide::testing::run_clean([]() -> Task<void> {
    WaitQueue queue;
    constexpr WaitQueue::Ready always = [](const void*) noexcept { return true; };
    EXPECT_EQ(co_await queue.wait(always), tide::detail::WaitResult::ready);
    EXPECT_TRUE(queue.empty());
  });
}

TEST(WaitQueue, ACancelledWaiterLeavesAtOnceAndTheWakeUpGoesToTheNext) {
  tide::testing::run_clean([]() -> Task<void> {
    int left = 0;
    WaitQueue queue({&left, [](void* n) noexcept { ++*static_cast<int*>(n); }, nullptr});
    std::vector<std::string> order;
    auto first = tide::spawn(wait_then_note(queue, order, "first"));
    auto second = tide::spawn(wait_then_note(queue, order, "second"));
    co_await settle();
    first.cancel();
    EXPECT_EQ(queue.size(), 1u);  // gone before the next wake-up, not skipped later
    EXPECT_EQ(left, 1);
    EXPECT_THROW(co_await first, tide::Cancelled);
    EXPECT_TRUE(queue.wake_one());
    co_await second;
    EXPECT_EQ(order, std::vector<std::string>{"second"});
  });
}

TEST(WaitQueue, ATimedOutWaiterTakesNoWakeUpWithIt) {
  tide::testing::run_clean([]() -> Task<void> {
    WaitQueue queue;
    std::vector<std::string> order;
    EXPECT_THROW(co_await tide::timeout(1ms, wait_then_note(queue, order, "late")),
                 tide::TimeoutError);
    EXPECT_TRUE(queue.empty());
    auto next = tide::spawn(wait_then_note(queue, order, "next"));
    co_await settle();
    EXPECT_TRUE(queue.wake_one());
    co_await next;
    EXPECT_EQ(order, std::vector<std::string>{"next"});
  });
}

TEST(WaitQueue, AWakeUpThatCameFirstWinsOverALaterCancellation) {
  tide::testing::run_clean([]() -> Task<void> {
    WaitQueue queue;
    bool woken = false;
    auto waiter = tide::spawn([](WaitQueue& q, bool& out) -> Task<void> {
      out = co_await q.wait() == tide::detail::WaitResult::woken;
      co_await tide::yield_now();  // the cancellation arrives here, at the next suspension
    }(queue, woken));
    co_await settle();
    queue.wake_one();
    waiter.cancel();  // after the wake-up, before the waiter ran
    EXPECT_THROW(co_await waiter, tide::Cancelled);
    EXPECT_TRUE(woken);
  });
}

TEST(WaitQueue, ADeadlineThatPassesFirstLeavesWithNothingAndTheWakeUpGoesToTheNext) {
  tide::testing::run_clean([]() -> Task<void> {
    int left = 0;
    WaitQueue queue({&left, [](void* n) noexcept { ++*static_cast<int*>(n); }, nullptr});
    std::vector<std::string> order;
    auto next = tide::spawn(wait_then_note(queue, order, "next"));  // queued behind
    auto& loop = tide::Loop::current();
    co_await settle();
    auto late = co_await queue.wait_until(loop.now() + 1ms);
    EXPECT_EQ(late, tide::detail::WaitResult::timed_out);
    EXPECT_EQ(left, 1);
    EXPECT_EQ(queue.size(), 1u);
    EXPECT_TRUE(queue.wake_one());
    co_await next;
    EXPECT_EQ(order, std::vector<std::string>{"next"});
    // A deadline already past does not wait at all; one not reached yields `woken`.
    EXPECT_EQ(co_await queue.wait_until(loop.now() - 1ms), tide::detail::WaitResult::timed_out);
    auto waker = tide::spawn([](WaitQueue& q) -> Task<void> {
      q.wake_one();
      co_return;
    }(queue));
    EXPECT_EQ(co_await queue.wait_until(loop.now() + 1h), tide::detail::WaitResult::woken);
    co_await waker;
  });
}

TEST(WaitQueue, WakeAllWakesThoseWaitingNowOnly) {
  tide::testing::run_clean([]() -> Task<void> {
    WaitQueue queue;
    std::vector<std::string> order;
    auto a = tide::spawn(wait_then_note(queue, order, "a"));
    auto b = tide::spawn(wait_then_note(queue, order, "b"));
    co_await settle();
    queue.wake_all();
    EXPECT_TRUE(queue.empty());
    auto c = tide::spawn(wait_then_note(queue, order, "c"));  // comes after the wake-up
    co_await a;
    co_await b;
    co_await settle();
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(queue.size(), 1u);
    queue.wake_all();
    co_await c;
  });
}

Task<void> wait_in(WaitQueue& queue) {
  co_await queue.wait();
}

// A node that records its wake-up.
struct Flag : tide::detail::WaitNode {
  explicit Flag(bool& flag) : WaitNode(&set), woken(&flag) {}
  static void set(WaitNode& node) noexcept { *static_cast<Flag&>(node).woken = true; }
  bool* woken;
};

TEST(WaitQueue, AWakeUpHandedToAWaiterThatIsDestroyedUnresumedGoesToTheUnclaimedHook) {
  int unclaimed = 0;
  WaitQueue queue({&unclaimed, nullptr, [](void* n) noexcept { ++*static_cast<int*>(n); }});
  {
    tide::Loop loop;
    loop.spawn(wait_in(queue)).detach();
    loop.run_once(0ms);
    ASSERT_EQ(queue.size(), 1u);
    queue.wake_one();  // handed the wake-up; its task dies with the loop, unresumed
    EXPECT_EQ(unclaimed, 0);
  }
  EXPECT_EQ(unclaimed, 1);
}

TEST(WaitQueue, WithoutAHookAnUnclaimedWakeUpWakesTheNextWaiter) {
  WaitQueue queue;
  bool next_woken = false;
  Flag next(next_woken);  // outlives the loop
  {
    tide::Loop loop;
    loop.spawn(wait_in(queue)).detach();
    loop.run_once(0ms);
    queue.push(next);
    queue.wake_one();  // the task's waiter is handed it, then dies unresumed with the loop
    EXPECT_FALSE(next_woken);
  }
  EXPECT_TRUE(next_woken);
}

TEST(WaitQueue, FibresWaitInTheSameQueueAsTasks) {
  tide::Loop loop;
  WaitQueue queue;
  std::vector<std::string> order;
  auto task = loop.spawn(wait_then_note(queue, order, "task"));
  auto fibre = tide::spawn_fiber(loop, [&] {
    EXPECT_EQ(tide::await(queue.wait()), tide::detail::WaitResult::woken);
    order.push_back("fibre");
  });
  loop.run_once(0ms);
  loop.run_once(0ms);
  EXPECT_EQ(queue.size(), 2u);
  queue.wake_all();
  fibre.join();  // runs the loop: the task finishes too
  EXPECT_TRUE(task.done());
  EXPECT_EQ(order, (std::vector<std::string>{"task", "fibre"}));
}

}  // namespace
