// tide::to_thread: blocking calls on the loop's thread pool, awaited from tasks (the pool
// itself: thread_pool_test.cpp).
#include <tide/core/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/when_all.hpp>

#include "gate.hpp"
#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::testing::Gate;

TEST(ToThread, RunsOffTheLoopAndReturnsTheResult) {
  tide::testing::run_clean([]() -> Task<void> {
    auto loop_thread = std::this_thread::get_id();
    auto [value, thread] = co_await tide::to_thread(
        [](int a, int b) { return std::pair(a * b, std::this_thread::get_id()); }, 6, 7);
    EXPECT_EQ(value, 42);
    EXPECT_NE(thread, loop_thread);
  });
}

TEST(ToThread, PropagatesExceptions) {
  tide::testing::run_clean([]() -> Task<void> {
    try {
      co_await tide::to_thread([] { throw std::length_error("from a worker"); });
      ADD_FAILURE() << "no exception";
    } catch (const std::length_error& e) {
      EXPECT_STREQ(e.what(), "from a worker");
    }
  });
}

TEST(ToThread, AcceptsMoveOnlyArgumentsAndResults) {
  tide::testing::run_clean([]() -> Task<void> {
    auto out = co_await tide::to_thread(
        [](std::unique_ptr<int> p) {
          *p += 1;
          return p;
        },
        std::make_unique<int>(1));
    EXPECT_EQ(*out, 2);
  });
}

TEST(ToThread, ManyCallsAreBoundedByThePoolSize) {
  tide::Loop::Options options;
  options.thread_pool_size = 3;
  tide::testing::run_clean(
      []() -> Task<void> {
        std::atomic<int> running{0}, peak{0};
        std::vector<Task<void>> calls;
        for (int i = 0; i < 30; ++i)
          calls.push_back([](std::atomic<int>& r, std::atomic<int>& p) -> Task<void> {
            co_await tide::to_thread([&] {
              int now = ++r;
              int seen = p.load();
              while (now > seen && !p.compare_exchange_weak(seen, now)) {
              }
              std::this_thread::sleep_for(1ms);  // blocking work, the point of to_thread
              --r;
            });
          }(running, peak));
        co_await tide::when_all(std::move(calls));
        EXPECT_LE(peak.load(), 3);
        EXPECT_LE(tide::Loop::current().thread_pool().threads(), 3u);
      },
      std::move(options));
}

TEST(ToThread, CancellingAQueuedCallWithdrawsIt) {
  tide::Loop::Options options;
  options.thread_pool_size = 1;
  tide::testing::run_clean(
      []() -> Task<void> {
        Gate gate;
        bool second_ran = false;
        // The only worker blocks until the gate opens, so the second call stays queued.
        auto first = tide::spawn(
            [](Gate& g) -> Task<void> { co_await tide::to_thread([&] { g.wait(); }); }(gate));
        auto second = tide::spawn([](bool& ran) -> Task<void> {
          co_await tide::to_thread([&] { ran = true; });
        }(second_ran));
        co_await tide::sleep_for(1ms);
        second.cancel();
        EXPECT_THROW(co_await second, tide::Cancelled);
        gate.open();
        co_await first;
        EXPECT_FALSE(second_ran);
      },
      std::move(options));
}

// A running call cannot be stopped: the cancelled task waits for it and receives its result,
// and Cancelled comes only at its next suspension point. The task records the result it got
// before that point; while the worker is held, the task must not finish at all.
TEST(ToThread, CancellingARunningCallWaitsForItsResult) {
  tide::testing::run_clean([]() -> Task<void> {
    Gate started, gate;
    int received = 0;  // loop thread only
    auto h = tide::spawn([](Gate& s, Gate& g, int& got) -> Task<int> {
      int v = co_await tide::to_thread([&] {
        s.open();
        g.wait();
        return 5;
      });
      got = v;                     // the call's result arrived before Cancelled
      co_await tide::yield_now();  // the pending cancellation is raised here
      co_return v;
    }(started, gate, received));
    co_await tide::to_thread([&] { started.wait(); });
    h.cancel();
    for (int i = 0; i < 3; ++i)
      co_await tide::yield_now();  // the task had its turns: a withdrawn call would end it here
    EXPECT_FALSE(h.done()) << "the task ended while its call was still running";
    EXPECT_EQ(received, 0);
    gate.open();
    EXPECT_THROW(co_await h, tide::Cancelled);
    EXPECT_EQ(received, 5) << "Cancelled arrived before the call's result";
  });
}

}  // namespace
