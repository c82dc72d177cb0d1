#include <tide/core/task_group.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>

#include "tasks.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;

TEST(TaskGroup, WaitsForEveryChild) {
  tide::testing::run_clean([]() -> Task<void> {
    std::vector<int> done;
    tide::TaskGroup group;
    for (int i = 0; i < 5; ++i)
      group.spawn([](std::vector<int>& out, int id) -> Task<void> {
        co_await tide::sleep_for(std::chrono::milliseconds(5 - id));
        out.push_back(id);
      }(done, i));
    EXPECT_EQ(group.running(), 5u);
    co_await group.join();
    EXPECT_EQ(done, (std::vector<int>{4, 3, 2, 1, 0}));
    EXPECT_EQ(group.running(), 0u);
  });
}

TEST(TaskGroup, FirstFailureCancelsSiblingsAndIsRethrown) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    tide::TaskGroup group;
    for (int i = 0; i < 3; ++i)
      group.spawn(tide::testing::sleep_until_cancelled(cancelled));
    group.spawn([]() -> Task<void> {
      co_await tide::sleep_for(1ms);
      throw std::runtime_error("child failed");
    }());
    try {
      co_await group.join();
      ADD_FAILURE() << "join did not rethrow";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "child failed");
    }
    EXPECT_EQ(cancelled, 3);
  });
}

TEST(TaskGroup, CancellingTheJoinerCancelsAllChildren) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    auto parent = tide::spawn([](int& c) -> Task<void> {
      tide::TaskGroup group;
      for (int i = 0; i < 4; ++i)
        group.spawn(tide::testing::sleep_until_cancelled(c));
      co_await group.join();
    }(cancelled));
    co_await tide::sleep_for(1ms);
    parent.cancel();
    EXPECT_THROW(co_await parent, tide::Cancelled);
    EXPECT_EQ(cancelled, 4);
  });
}

TEST(TaskGroup, JoinOfAnEmptyGroupReturnsAtOnce) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::TaskGroup group;
    co_await group.join();
  });
}

TEST(TaskGroup, DestroyingAnUnjoinedGroupCancelsItsChildren) {
  tide::testing::run_clean([]() -> Task<void> {
    int cancelled = 0;
    {
      tide::TaskGroup group;
      group.spawn(tide::testing::sleep_until_cancelled(cancelled));
      co_await tide::yield_now();
    }
    co_await tide::sleep_for(1ms);
    EXPECT_EQ(cancelled, 1);
  });
}

}  // namespace
