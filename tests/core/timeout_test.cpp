#include <tide/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>

#include "tasks.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;

TEST(Timeout, ReturnsTheResultWhenInTime) {
  tide::testing::run_clean([]() -> Task<void> {
    EXPECT_EQ(co_await tide::timeout(1s, tide::testing::value_after(1ms, 4)), 4);
  });
}

TEST(Timeout, RaisesTimeoutErrorAndCancelsTheOperation) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    EXPECT_THROW(co_await tide::timeout(5ms, tide::testing::sleep_until_cancelled(cancelled)),
                 tide::TimeoutError);
    EXPECT_EQ(cancelled, 1);
  });
}

TEST(Timeout, WrapsAnyAwaitable) {
  tide::testing::run_clean([]() -> Task<void> {
    EXPECT_THROW(co_await tide::timeout(2ms, tide::sleep_for(1h)), tide::TimeoutError);
    co_await tide::timeout(1h, tide::sleep_for(1ms));
  });
}

TEST(Timeout, FailureOfTheOperationPassesThrough) {
  tide::testing::run_clean([]() -> Task<void> {
    auto failing = []() -> Task<void> {
      co_await tide::sleep_for(1ms);
      throw std::domain_error("inner");
    };
    EXPECT_THROW(co_await tide::timeout(1h, failing()), std::domain_error);
  });
}

// The documented rule (timeout.hpp): an operation that completed in the tick the deadline
// passed returns its value, never TimeoutError. The operation keeps the loop busy until both
// instants are behind it, then sleeps until the earlier one: in the next tick its timer fires
// first (deadline order) and the timeout's right after, so both happen in that one tick.
// That needs the operation to start before the deadline passes (the deadline is armed a tick
// earlier); a round where the loop got there too late is recognised exactly (the deadline
// fires when it is not after the loop's `now()`), must time out, and does not count.
TEST(Timeout, TimeoutAndCompletionInTheSameTickReturnTheValue) {
  tide::testing::run_clean([]() -> Task<void> {
    using LoopClock = tide::Loop::Clock;
    auto& loop = tide::Loop::current();
    auto operation = [](LoopClock::time_point at, LoopClock::time_point limit, bool& in_time,
                        int value) -> Task<int> {
      in_time = tide::Loop::current().now() < limit;  // the deadline has not fired yet
      while (LoopClock::now() <= limit) {
        // busy: no timer can fire before both instants have passed
      }
      co_await tide::sleep_until(at);
      co_return value;
    };
    int counted = 0;
    for (int round = 0; counted < 20 && round < 1'000; ++round) {
      const auto done_at = loop.now() + 1ms;
      const auto deadline = done_at + 1ms;
      bool in_time = false;
      try {
        const int value = co_await tide::timeout(deadline - loop.now(),
                                                 operation(done_at, deadline, in_time, round));
        EXPECT_TRUE(in_time) << "round " << round << ": a value, though the deadline came first";
        EXPECT_EQ(value, round);
      } catch (const tide::TimeoutError&) {
        EXPECT_FALSE(in_time) << "round " << round
                              << ": TimeoutError, though the operation completed";
      }
      EXPECT_GE(loop.now(), deadline) << "the deadline had not passed: nothing was tested";
      if (in_time) ++counted;
    }
    EXPECT_EQ(counted, 20) << "the operation rarely started before its deadline";
  });
}

TEST(Timeout, NegativeLimitTimesOutUnlessTheOperationIsReady) {
  tide::testing::run_clean([]() -> Task<void> {
    EXPECT_THROW(co_await tide::timeout(-1s, tide::sleep_for(1h)), tide::TimeoutError);
    EXPECT_EQ(co_await tide::timeout(-1s, []() -> Task<int> { co_return 8; }()), 8);
  });
}

TEST(Timeout, CancellingTheAwaiterRaisesCancelledNotTimeout) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<void> { co_await tide::timeout(1h, tide::sleep_for(1h)); }());
    co_await tide::sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, tide::Cancelled);
  });
}

}  // namespace
