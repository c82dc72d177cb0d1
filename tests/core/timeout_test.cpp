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
TEST(Timeout, TimeoutAndCompletionInTheSameTickReturnTheValue) {
  tide::testing::run_clean([]() -> Task<void> {
    using Clock = tide::Loop::Clock;
    auto& loop = tide::Loop::current();
    for (int i = 0; i < 50; ++i) {
      const auto done_at = loop.now() + 100us;
      const auto deadline = done_at + 100us;
      auto operation = [](Clock::time_point at, Clock::time_point limit, int value) -> Task<int> {
        while (Clock::now() <= limit) {
          // busy: no timer can fire before both instants have passed
        }
        co_await tide::sleep_until(at);
        co_return value;
      };
      try {
        EXPECT_EQ(co_await tide::timeout(deadline - loop.now(), operation(done_at, deadline, i)),
                  i);
      } catch (const tide::TimeoutError&) {
        ADD_FAILURE() << "round " << i << ": TimeoutError, though the operation completed";
      }
      EXPECT_GE(loop.now(), deadline) << "the deadline had not passed: nothing was tested";
    }
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
