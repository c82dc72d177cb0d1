#include <tide/core/when_any.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>

#include "tasks.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;

TEST(WhenAny, FirstToCompleteWinsAndTheRestAreCancelled) {
  tide::testing::run_clean([]() -> Task<void> {
    auto result = co_await tide::when_any(tide::testing::value_after(1h, 1),
                                          tide::testing::value_after(1ms, 2), tide::sleep_for(1h));
    EXPECT_EQ(result.index(), 1u);
    EXPECT_EQ(std::get<1>(result), 2);
  });
}

TEST(WhenAny, VectorFormReturnsIndexAndValue) {
  tide::testing::run_clean([]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(tide::testing::value_after(50ms, 10));
    tasks.push_back(tide::testing::value_after(1ms, 11));
    tasks.push_back(tide::testing::value_after(1h, 12));
    auto [index, value] = co_await tide::when_any(std::move(tasks));
    EXPECT_EQ(index, 1u);
    EXPECT_EQ(value, 11);
  });
}

TEST(WhenAny, AWinningFailureIsRethrown) {
  tide::testing::run_clean([]() -> Task<void> {
    auto failing = []() -> Task<int> {
      co_await tide::sleep_for(1ms);
      throw std::runtime_error("first and failed");
    };
    EXPECT_THROW(co_await tide::when_any(failing(), tide::testing::value_after(1h, 0)),
                 std::runtime_error);
  });
}

TEST(WhenAny, EmptyVectorIsAUsageError) {
  tide::testing::run_clean([]() -> Task<void> {
    EXPECT_THROW(co_await tide::when_any(std::vector<Task<int>>{}), tide::UsageError);
  });
}

TEST(WhenAny, CancellationReachesEveryChild) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<void> {
      (void)co_await tide::when_any(tide::sleep_for(1h), tide::sleep_for(1h));
    }());
    co_await tide::sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, tide::Cancelled);
  });
}

}  // namespace
