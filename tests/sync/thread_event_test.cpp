// tide::ThreadEvent: a flag set and waited for across threads, by plain threads, tasks and
// fibres.
#include <tide/sync/thread_event.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>

#include "cross_thread.hpp"
#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::ThreadEvent;
using tide::testing::await_in;
using tide::testing::settle;
using tide::testing::Style;

class ThreadEventFrom : public ::testing::TestWithParam<Style> {};
INSTANTIATE_TEST_SUITE_P(Styles, ThreadEventFrom, ::testing::Values(Style::task, Style::fibre),
                         tide::testing::style_name);

TEST_P(ThreadEventFrom, SetFromAThreadWakesLoopWaitersAndBlockedThreads) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    auto a = await_in(style, [&] { return ev.wait(); });
    auto b = await_in(style, [&] { return ev.wait_for(1h); });
    co_await settle();
    EXPECT_FALSE(a.done());
    // Ten threads, as in Python's threading.Event walk-through: half wait, half wait_for.
    constexpr int kWaiters = 10;
    std::atomic<int> threads_woken{0};
    std::vector<std::atomic<pid_t>> tids(kWaiters);
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i)
      waiters.emplace_back([&, i] {
        tids[i] = tide::testing::this_thread_id();
        if (i % 2 == 0) {
          ev.wait();
          ++threads_woken;
        } else if (ev.wait_for(1h)) {
          ++threads_woken;
        }
      });
    for (auto& tid : tids) {
      while (tid == 0)
        std::this_thread::yield();
      EXPECT_TRUE(tide::testing::becomes_blocked(tid));
    }
    EXPECT_EQ(threads_woken, 0);
    std::thread([&] { ev.set(); }).join();
    for (auto& t : waiters)
      t.join();
    EXPECT_EQ(threads_woken, kWaiters);
    co_await a.result();
    EXPECT_TRUE(co_await b.result());
  });
}

TEST_P(ThreadEventFrom, AWaitOnASetFlagReturnsAtOnceAndClearMakesItWaitAgain) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    ev.set();
    EXPECT_TRUE(ev.is_set());
    co_await await_in(style, [&] { return ev.wait(); }).result();
    EXPECT_TRUE(co_await await_in(style, [&] { return ev.wait_for(0s); }).result());
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    auto waiter = await_in(style, [&] { return ev.wait(); });
    co_await settle();
    EXPECT_FALSE(waiter.done());
    ev.set();
    co_await waiter.result();
  });
}

TEST_P(ThreadEventFrom, AWakeUpStandsEvenIfClearFollowsAtOnce) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    auto waiter = await_in(style, [&] { return ev.wait_for(1h); });
    co_await settle();
    std::thread([&] {
      ev.set();
      ev.clear();
    }).join();
    EXPECT_TRUE(co_await waiter.result());
  });
}

TEST_P(ThreadEventFrom, WaitForTimesOutWhenNobodySets) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    auto first = await_in(style, [&] { return ev.wait_for(5ms); });
    auto second = await_in(style, [&] { return ev.wait(); });
    EXPECT_FALSE(co_await first.result());
    bool thread_result = true;
    std::thread([&] { thread_result = ev.wait_for(5ms); }).join();
    EXPECT_FALSE(thread_result);
    // The timed-out waiter left: the next set reaches the one still waiting.
    ev.set();
    co_await second.result();
    // So does tide::timeout around a plain wait.
    ev.clear();
    EXPECT_THROW(co_await await_in(style, [&] { return tide::timeout(5ms, ev.wait()); }).result(),
                 tide::TimeoutError);
  });
}

TEST_P(ThreadEventFrom, ACancelledWaiterLeavesAndASetLaterWakesTheOthers) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    auto cancelled = await_in(style, [&] { return ev.wait(); });
    auto other = await_in(style, [&] { return ev.wait(); });
    co_await settle();
    cancelled.cancel();
    EXPECT_THROW(co_await cancelled.result(), tide::Cancelled);
    EXPECT_FALSE(other.done());
    std::thread([&] { ev.set(); }).join();
    co_await other.result();
  });
}

TEST_P(ThreadEventFrom, AWakeUpThatCameBeforeTheCancellationStands) {
  const Style style = GetParam();
  tide::testing::run_clean([style]() -> Task<void> {
    ThreadEvent ev;
    // The waiter notes its wake-up, then meets the cancellation at its next suspension.
    bool woke = false;
    auto waiter = await_in(style, [&]() -> Task<void> {
      co_await ev.wait();
      woke = true;
      co_await tide::yield_now();
    });
    co_await settle();
    std::thread([&] { ev.set(); }).join();  // the wake-up is on its way to the loop
    waiter.cancel();
    EXPECT_THROW(co_await waiter.result(), tide::Cancelled);
    EXPECT_TRUE(woke);
  });
}

TEST(ThreadEvent, BlockingWaitsInATaskOnARunningLoopAreUsageErrors) {
  tide::testing::run_clean([]() -> Task<void> {
    ThreadEvent ev;
    try {
      ev.wait();
      ADD_FAILURE() << "wait() blocked inside a task";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(": wait() would block the loop"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(static_cast<void>(static_cast<bool>(ev.wait_for(1s))), tide::UsageError);
    co_return;
  });
}

TEST(ThreadEvent, BlockingWaitsInAFibreSuspendOnlyTheFibre) {
  tide::testing::run_clean([]() -> Task<void> {
    ThreadEvent ev;
    auto fibre = tide::spawn_fiber([&ev] {
      ev.wait();
      return static_cast<bool>(ev.wait_for(1h));
    });
    co_await settle();
    EXPECT_FALSE(fibre.done());
    std::thread([&] { ev.set(); }).join();
    EXPECT_TRUE(co_await fibre.join());
  });
}

}  // namespace
