// ThreadPool::submit and ThreadPool::map: Python's executor.submit (a future per call) and
// executor.map (results in order), from tasks and from fibres.
#include <tide/core/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <list>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>

#include "gate.hpp"
#include "test_loop.hpp"

namespace {

using tide::Task;
using tide::testing::Gate;

TEST(ThreadPoolSubmit, TheFutureGivesTheResultOrTheException) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(2);
    auto sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
    auto failing = pool.submit([]() -> int { throw std::out_of_range("no such item"); });
    EXPECT_EQ(co_await sum, 5);
    EXPECT_THROW(co_await failing, std::out_of_range);
  });
}

TEST(ThreadPoolSubmit, CallsStartInTheOrderTheyWereSubmitted) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(1);
    std::mutex m;
    std::vector<int> order;
    std::vector<tide::JoinHandle<void>> futures;
    for (int i = 0; i < 8; ++i)
      futures.push_back(pool.submit([&m, &order, i] {
        std::lock_guard lock(m);
        order.push_back(i);
      }));
    for (auto& f : futures)
      co_await f;
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  });
}

TEST(ThreadPoolSubmit, CancellingACallThatHasNotStartedWithdrawsIt) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(1);
    Gate started, release;
    std::atomic<bool> second_ran{false};
    auto first = pool.submit([&] {
      started.open();
      release.wait();
    });
    auto second = pool.submit([&] { second_ran = true; });
    // Both tasks queue their calls before this one resumes (they were ready first); then the
    // only worker is busy with the first call, and the second waits in the queue.
    co_await tide::to_thread([&] { started.wait(); });
    second.cancel();
    EXPECT_THROW(co_await second, tide::Cancelled);
    release.open();
    co_await first;
    EXPECT_FALSE(second_ran.load());
  });
}

TEST(ThreadPoolMap, ResultsComeInTheItemsOrder) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(3);
    // The items are named first: g++ 12 miscompiles a braced temporary in a co_await.
    const std::vector<int> items{1, 2, 3, 4, 5};
    const std::vector<int> squares = co_await pool.map([](int x) { return x * x; }, items);
    EXPECT_EQ(squares, (std::vector<int>{1, 4, 9, 16, 25}));
    const std::list<int> linked{1, 2, 3, 4, 5};  // any input range, not only a vector
    const std::vector<long> cubes =
        co_await pool.map([](int x) { return static_cast<long>(x) * x * x; }, linked);
    EXPECT_EQ(cubes, (std::vector<long>{1, 8, 27, 64, 125}));
    std::atomic<int> calls{0};
    const std::vector<int> none;
    EXPECT_TRUE((co_await pool.map([](int x) { return x; }, none)).empty());
    const std::vector<int> ten(10);
    co_await pool.map([&calls](int) { ++calls; }, ten);  // a void fn: a Task<void>
    EXPECT_EQ(calls.load(), 10);
  });
}

TEST(ThreadPoolMap, TheFirstExceptionIsRethrownAfterTheRunningCallsEnd) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(2);
    std::atomic<int> running{0};
    auto call = [&running](int x) {
      ++running;
      if (x == 3) {
        --running;
        throw std::invalid_argument("item 3");
      }
      --running;
      return x;
    };
    const std::vector<int> items{1, 2, 3, 4, 5, 6};
    try {
      (void)co_await pool.map(call, items);
      ADD_FAILURE() << "map did not rethrow";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "item 3");
    }
    EXPECT_EQ(running.load(), 0);  // nothing still runs once map has thrown
  });
}

TEST(ThreadPoolMap, AFibreWaitsForMapAndSubmitToo) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(2);
    auto fibre = tide::spawn_fiber([&pool] {
      const std::vector<int> items{1, 2, 3};
      const std::vector<int> doubled = tide::await(pool.map([](int x) { return 2 * x; }, items));
      auto future = pool.submit([] { return 7; });
      return doubled[0] + doubled[1] + doubled[2] + tide::await(future);
    });
    EXPECT_EQ(co_await fibre, 2 + 4 + 6 + 7);
  });
}

}  // namespace
