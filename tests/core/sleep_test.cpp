#include <tide/core/sleep.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>

#include "tasks.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tide::Loop;
using tide::Task;

TEST(Sleep, SleepsAtLeastTheDelay) {
  tide::testing::run_clean([]() -> Task<void> {
    auto start = Clock::now();
    co_await tide::sleep_for(20ms);
    EXPECT_GE(Clock::now() - start, 20ms);
  });
}

TEST(Sleep, SleepUntilWakesAtTheDeadline) {
  tide::testing::run_clean([]() -> Task<void> {
    auto deadline = Clock::now() + 15ms;
    co_await tide::sleep_until(deadline);
    EXPECT_GE(Clock::now(), deadline);
  });
}

TEST(Sleep, HundredThousandTimersFireInDeadlineOrder) {
  std::vector<std::int64_t> fired;
  fired.reserve(100'000);
  tide::testing::run_clean([&]() -> Task<void> {
    std::mt19937_64 random(12345);
    std::uniform_int_distribution<std::int64_t> delay_us(0, 50'000);
    auto base = tide::Loop::current().now();
    std::vector<tide::JoinHandle<void>> handles;
    handles.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) {
      std::int64_t us = delay_us(random);
      handles.push_back(tide::spawn(
          [](std::vector<std::int64_t>& out, Clock::time_point at, std::int64_t key) -> Task<void> {
            co_await tide::sleep_until(at);
            out.push_back(key);
          }(fired, base + std::chrono::microseconds(us), us)));
    }
    for (auto& h : handles)
      co_await h;
  });
  ASSERT_EQ(fired.size(), 100'000u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

TEST(Sleep, EqualDeadlinesFireInInsertionOrder) {
  std::vector<int> order;
  tide::testing::run_clean([&]() -> Task<void> {
    auto at = tide::Loop::current().now() + 2ms;
    std::vector<tide::JoinHandle<void>> handles;
    for (int i = 0; i < 50; ++i)
      handles.push_back(
          tide::spawn([](std::vector<int>& out, Clock::time_point t, int id) -> Task<void> {
            co_await tide::sleep_until(t);
            out.push_back(id);
          }(order, at, i)));
    for (auto& h : handles)
      co_await h;
  });
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(order[i], i);
}

TEST(Sleep, NegativeDelayMeansNow) {
  tide::testing::run_clean([]() -> Task<void> {
    auto start = Clock::now();
    co_await tide::sleep_for(-5s);
    co_await tide::sleep_for(std::chrono::nanoseconds::min());
    co_await tide::sleep_until(Clock::time_point::min());
    EXPECT_LT(Clock::now() - start, 5s);
  });
}

TEST(Sleep, ZeroDelayYieldsToOtherTasks) {
  std::vector<int> order;
  tide::testing::run_clean([&]() -> Task<void> {
    auto other = tide::spawn([](std::vector<int>& out) -> Task<void> {
      out.push_back(1);
      co_return;
    }(order));
    co_await tide::sleep_for(0ms);
    order.push_back(2);
    co_await other;
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

// Timers at 0, 2^48 ms and duration::max(): the far ones clamp instead of overflowing, never
// fire early, and the loop sleeps instead of spinning while they are armed.
TEST(Sleep, HugeAndZeroDelaysNeitherFireEarlyNorSpin) {
  Loop loop;
  bool zero_fired = false, far_fired = false, max_fired = false;
  auto zero = loop.spawn([](bool& f) -> Task<void> {
    co_await tide::sleep_for(0ms);
    f = true;
  }(zero_fired));
  auto far = loop.spawn([](bool& f) -> Task<void> {
    co_await tide::sleep_for(std::chrono::milliseconds(std::int64_t{1} << 48));
    f = true;
  }(far_fired));
  auto max = loop.spawn([](bool& f) -> Task<void> {
    co_await tide::sleep_for(std::chrono::hours::max());
    f = true;
  }(max_fired));
  auto max_ns = loop.spawn([](bool& f) -> Task<void> {
    co_await tide::sleep_for(std::chrono::nanoseconds::max());
    f = true;
  }(max_fired));
  for (int i = 0; i < 3; ++i)
    loop.run_once(0ms);
  EXPECT_TRUE(zero_fired);
  EXPECT_FALSE(far_fired);
  EXPECT_FALSE(max_fired);
  EXPECT_EQ(loop.stats().timers, 3u);
  auto timeout = loop.next_timeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_GT(*timeout, std::chrono::hours(24 * 365));

  // Blocking iterations must each wait their full bound: a spinning loop would return at once.
  auto before = loop.stats().iterations;
  auto start = Clock::now();
  for (int i = 0; i < 3; ++i)
    loop.run_once(20ms);
  EXPECT_GE(Clock::now() - start, 60ms);
  EXPECT_EQ(loop.stats().iterations - before, 3u);
  EXPECT_FALSE(far_fired);
  EXPECT_FALSE(max_fired);
  far.cancel();
  max.cancel();
  max_ns.cancel();
  loop.run();
  EXPECT_EQ(loop.stats().timers, 0u);
}

TEST(Sleep, CancellingASleepingTaskWakesItWithCancelled) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    auto sleeper = tide::spawn(tide::testing::sleep_until_cancelled(cancelled));
    co_await tide::yield_now();  // let it start sleeping
    EXPECT_EQ(tide::Loop::current().stats().timers, 1u);
    sleeper.cancel();
    EXPECT_THROW(co_await sleeper, tide::Cancelled);
    EXPECT_EQ(cancelled, 1);
    EXPECT_EQ(tide::Loop::current().stats().timers, 0u);
  });
}

TEST(Sleep, CancelBeforeTheTaskStartsIsDeliveredAtItsFirstSuspension) {
  tide::testing::run_clean([]() -> Task<void> {
    int steps = 0;
    auto h = tide::spawn([](int& s) -> Task<void> {
      ++s;  // runs: cancellation is only delivered at a suspension point
      co_await tide::sleep_for(1h);
      ++s;
    }(steps));
    h.cancel();
    EXPECT_THROW(co_await h, tide::Cancelled);
    EXPECT_EQ(steps, 1);
  });
}

TEST(Sleep, ACancelledTaskCanCatchAndGoOn) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<int> {
      try {
        co_await tide::sleep_for(1h);
      } catch (const tide::Cancelled&) {
      }
      co_await tide::sleep_for(1ms);  // the cancellation was delivered once, not again
      co_return 7;
    }());
    co_await tide::yield_now();
    h.cancel();
    EXPECT_EQ(co_await h, 7);
  });
}

TEST(Sleep, YieldNowDeliversAPendingCancellation) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<void> {
      for (;;)
        co_await tide::yield_now();
    }());
    co_await tide::yield_now();
    h.cancel();
    EXPECT_THROW(co_await h, tide::Cancelled);
  });
}

}  // namespace
