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

// The deadline and the completion land in the same iteration: exactly one outcome, never both
// (no value lost to a timeout, no timeout after a value). Repeated at many offsets.
TEST(Timeout, TimeoutAndCompletionInTheSameTickResolveExactlyOneWay) {
  tide::testing::run_clean([]() -> Task<void> {
    int values = 0, timeouts = 0;
    for (int i = 0; i < 200; ++i) {
      auto& loop = tide::Loop::current();
      auto deadline = loop.now() + 1ms;
      try {
        // Both the operation's sleep and the timeout's deadline are at the same instant.
        co_await tide::timeout(deadline - loop.now(), [](auto at) -> Task<void> {
          co_await tide::sleep_until(at);
        }(deadline));
        ++values;
      } catch (const tide::TimeoutError&) {
        ++timeouts;
      }
    }
    EXPECT_EQ(values + timeouts, 200);
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
