#include <tide/core/when_all.hpp>

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

Task<std::string> text_after(std::chrono::milliseconds d, std::string s) {
  co_await tide::sleep_for(d);
  co_return s;
}

TEST(WhenAll, ReturnsEveryResultInArgumentOrder) {
  tide::testing::run_clean([]() -> Task<void> {
    auto [a, b, c] = co_await tide::when_all(tide::testing::value_after(3ms, 1),
                                             text_after(1ms, "two"), tide::sleep_for(2ms));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, "two");
    (void)c;
  });
}

TEST(WhenAll, RunsConcurrently) {
  tide::testing::run_clean([]() -> Task<void> {
    auto start = std::chrono::steady_clock::now();
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 50; ++i)
      tasks.push_back(tide::testing::value_after(20ms, i));
    auto results = co_await tide::when_all(std::move(tasks));
    EXPECT_EQ(results.size(), 50u);
    for (std::size_t i = 0; i < results.size(); ++i)
      EXPECT_EQ(results[i], static_cast<int>(i));
    // Fifty 20 ms sleeps in sequence would take a second.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  });
}

TEST(WhenAll, FirstFailureCancelsTheOthersAndIsRethrown) {
  tide::testing::run_clean([]() -> Task<void> {
    int slow_cancelled = 0;
    auto failing = []() -> Task<int> {
      co_await tide::sleep_for(1ms);
      throw std::invalid_argument("bad");
    };
    EXPECT_THROW(
        co_await tide::when_all(tide::testing::sleep_until_cancelled(slow_cancelled), failing()),
        std::invalid_argument);
    EXPECT_EQ(slow_cancelled, 1);
  });
}

TEST(WhenAll, CancellationReachesEveryChild) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<void> {
      co_await tide::when_all(tide::sleep_for(1h), tide::sleep_for(1h));
    }());
    co_await tide::sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, tide::Cancelled);
  });
}

TEST(WhenAll, VoidVectorForm) {
  tide::testing::run_clean([]() -> Task<void> {
    int count = 0;
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 10; ++i)
      tasks.push_back([](int& c) -> Task<void> {
        co_await tide::yield_now();
        ++c;
      }(count));
    co_await tide::when_all(std::move(tasks));
    EXPECT_EQ(count, 10);
  });
}

}  // namespace
