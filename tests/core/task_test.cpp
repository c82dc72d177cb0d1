#include <tide/core/task.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include <tide/core/run.hpp>

#include "test_loop.hpp"

namespace {

using tide::Task;

Task<int> forty_two() {
  co_return 42;
}

Task<std::unique_ptr<int>> boxed(int v) {
  co_return std::make_unique<int>(v);
}

int global_value = 7;
Task<int&> reference_to_global() {
  co_return global_value;
}

Task<void> throws_runtime_error() {
  throw std::runtime_error("boom");
  co_return;
}

TEST(Task, ReturnsValueThroughCoAwait) {
  tide::testing::run_clean([]() -> Task<void> { EXPECT_EQ(co_await forty_two(), 42); });
}

TEST(Task, ReturnsMoveOnlyValue) {
  tide::testing::run_clean([]() -> Task<void> {
    auto p = co_await boxed(5);
    EXPECT_TRUE(p && *p == 5);
  });
}

TEST(Task, ReturnsReference) {
  tide::testing::run_clean([]() -> Task<void> {
    int& r = co_await reference_to_global();
    EXPECT_EQ(&r, &global_value);
  });
}

TEST(Task, IsLazyUntilAwaited) {
  bool ran = false;
  tide::testing::run_clean([&]() -> Task<void> {
    auto t = [](bool& flag) -> Task<void> {
      flag = true;
      co_return;
    }(ran);
    EXPECT_FALSE(ran);
    co_await t;
    EXPECT_TRUE(ran);
  });
}

TEST(Task, PropagatesExceptionsThroughCoAwait) {
  tide::testing::run_clean(
      []() -> Task<void> { EXPECT_THROW(co_await throws_runtime_error(), std::runtime_error); });
}

TEST(Task, RunRethrowsTheTasksException) {
  EXPECT_THROW(tide::run(throws_runtime_error()), std::runtime_error);
}

TEST(Task, AwaitingTwiceFailsLoudly) {
  tide::testing::run_clean([]() -> Task<void> {
    auto t = forty_two();
    EXPECT_EQ(co_await t, 42);
    EXPECT_THROW(co_await t, tide::UsageError);
  });
}

TEST(Task, AwaitingAMovedFromTaskFailsLoudly) {
  tide::testing::run_clean([]() -> Task<void> {
    auto t = forty_two();
    auto moved = std::move(t);
    EXPECT_THROW(co_await t, tide::UsageError);  // NOLINT(bugprone-use-after-move): the point
    EXPECT_EQ(co_await moved, 42);
  });
}

TEST(Task, DestroyingAnUnstartedTaskDestroysItsFrame) {
  int live = 0;
  {
    auto t = [](int& counter) -> Task<void> {
      tide::testing::LiveCounter c(counter);
      co_return;
    }(live);
    // Parameters live in the frame, but the body has not run, so no counter exists yet.
    EXPECT_EQ(live, 0);
  }
  EXPECT_EQ(live, 0);
}

// A million sequential awaits of tasks that finish at once, and a recursion a million deep:
// neither may grow the stack, in any build (the loop's trampoline replaces symmetric transfer).
TEST(Task, MillionSequentialSynchronousAwaitsDoNotOverflowTheStack) {
  tide::testing::run_clean([]() -> Task<void> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i)
      sum += co_await forty_two();
    EXPECT_EQ(sum, 42'000'000L);
  });
}

Task<long> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

TEST(Task, MillionDeepAwaitChainDoesNotOverflowTheStack) {
  EXPECT_EQ(tide::run(chain(1'000'000)), 1'000'000);
}

TEST(Task, AwaitingOutsideAnyLoopThrows) {
  EXPECT_THROW((void)tide::Loop::current(), tide::UsageError);
  EXPECT_THROW((void)tide::spawn(forty_two()), tide::UsageError);
}

}  // namespace
