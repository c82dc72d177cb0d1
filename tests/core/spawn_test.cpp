#include <tide/core/spawn.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>

#include "tasks.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Loop;
using tide::Task;

TEST(JoinHandle, AwaitReturnsTheTasksValue) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn(tide::testing::value_after(1ms, 9));
    EXPECT_FALSE(h.done());
    EXPECT_EQ(co_await h, 9);
    EXPECT_TRUE(h.done());
  });
}

TEST(JoinHandle, AwaitRethrowsTheTasksException) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<void> {
      co_await tide::sleep_for(1ms);
      throw std::out_of_range("spawned failure");
    }());
    EXPECT_THROW(co_await h, std::out_of_range);
  });
}

TEST(JoinHandle, AwaitingAFinishedTaskDoesNotSuspend) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn([]() -> Task<int> { co_return 3; }());
    co_await tide::sleep_for(1ms);
    EXPECT_TRUE(h.done());
    EXPECT_EQ(co_await h, 3);
  });
}

TEST(JoinHandle, AwaitingTwiceFailsLoudly) {
  tide::testing::run_clean([]() -> Task<void> {
    auto h = tide::spawn(tide::testing::value_after(0ms, 1));
    EXPECT_EQ(co_await h, 1);
    EXPECT_THROW(co_await h, tide::UsageError);
    tide::JoinHandle<int> empty;
    EXPECT_THROW(co_await empty, tide::UsageError);
  });
}

TEST(JoinHandle, DestroyingTheHandleCancelsTheTask) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    {
      auto h = tide::spawn(tide::testing::sleep_until_cancelled(cancelled));
      co_await tide::yield_now();
    }
    co_await tide::sleep_for(1ms);
    EXPECT_EQ(cancelled, 1);
  });
}

TEST(JoinHandle, DetachedTasksRunToTheEnd) {
  tide::testing::run_clean([]() -> Task<void> {
    int done = 0;
    tide::spawn([](int& d) -> Task<void> {
      co_await tide::sleep_for(2ms);
      ++d;
    }(done))
        .detach();
    co_await tide::sleep_for(10ms);
    EXPECT_EQ(done, 1);
  });
}

TEST(JoinHandle, ExceptionFromDetachedTaskGoesToTheHandlerWithItsName) {
  std::vector<std::string> reports;
  Loop::Options options;
  options.on_unhandled_exception = [&](std::exception_ptr e, std::string_view what) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reports.push_back(std::string(what) + ": " + ex.what());
    }
  };
  tide::testing::run_clean(
      []() -> Task<void> {
        tide::spawn(
            []() -> Task<void> {
              throw std::runtime_error("lost?");
              co_return;
            }(),
            "worker")
            .detach();
        co_await tide::sleep_for(1ms);
      },
      std::move(options));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("'worker'"), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("lost?"), std::string::npos) << reports[0];
}

TEST(JoinHandle, ExceptionNeverRetrievedFromAHandleIsReported) {
  int reports = 0;
  Loop::Options options;
  options.on_unhandled_exception = [&](std::exception_ptr, std::string_view) { ++reports; };
  tide::testing::run_clean(
      []() -> Task<void> {
        auto h = tide::spawn([]() -> Task<void> {
          throw std::runtime_error("ignored");
          co_return;
        }());
        co_await tide::sleep_for(1ms);
        EXPECT_TRUE(h.done());
      },
      std::move(options));
  EXPECT_EQ(reports, 1);
}

TEST(JoinHandle, CancellingTheAwaiterCancelsTheAwaitedTaskAndWaitsForIt) {
  tide::testing::run_clean([]() -> Task<void> {
    bool inner_cleaned_up = false;
    auto outer = tide::spawn([](bool& cleaned) -> Task<void> {
      auto inner = tide::spawn([](bool& c) -> Task<void> {
        int cancelled = 0;
        try {
          co_await tide::sleep_for(1h);
        } catch (const tide::Cancelled&) {
          cancelled = true;
        }
        if (cancelled) {
          co_await tide::sleep_for(1ms);  // cleanup that itself waits
          c = true;
          throw tide::Cancelled();
        }
      }(cleaned));
      co_await inner;
    }(inner_cleaned_up));
    co_await tide::sleep_for(1ms);
    outer.cancel();
    EXPECT_THROW(co_await outer, tide::Cancelled);
    EXPECT_TRUE(inner_cleaned_up);
  });
}

TEST(JoinHandle, ResultOfAnUnfinishedTaskIsAUsageError) {
  Loop loop;
  auto h = loop.spawn(tide::testing::value_after(1h, 1));
  EXPECT_THROW(h.result(), tide::UsageError);
  h.cancel();
  loop.run();
  EXPECT_THROW(h.result(), tide::Cancelled);
}

TEST(JoinHandle, SpawningAnEmptyTaskFailsLoudly) {
  Loop loop;
  Task<int> empty;
  EXPECT_THROW((void)loop.spawn(std::move(empty)), tide::UsageError);
}

TEST(Run, ReturnsTheValue) {
  EXPECT_EQ(tide::run(tide::testing::value_after(1ms, 5)), 5);
}

}  // namespace
