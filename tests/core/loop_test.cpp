#include <tide/core/loop.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <coroutine>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/thread_pool.hpp>

#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Loop;
using tide::Task;

TEST(Loop, RunsReadyTasksInFifoOrder) {
  std::vector<int> order;
  tide::testing::run_clean([&]() -> Task<void> {
    std::vector<tide::JoinHandle<void>> handles;
    for (int i = 0; i < 100; ++i)
      handles.push_back(tide::spawn([](std::vector<int>& out, int id) -> Task<void> {
        out.push_back(id);
        co_await tide::yield_now();
        out.push_back(100 + id);
      }(order, i)));
    for (auto& h : handles)
      co_await h;
  });
  ASSERT_EQ(order.size(), 200u);
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(order[i], i) << "position " << i;
}

TEST(Loop, RunOnceWithZeroReturnsAtOnceWhenIdle) {
  Loop loop;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(loop.run_once(0ms));
  // A thousand non-blocking iterations; generous bound, it only catches a blocking wait.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Loop, RunOnceWithZeroDoesNotBlockWhileATimerIsPending) {
  Loop loop;
  auto h = loop.spawn([]() -> Task<void> { co_await tide::sleep_for(1h); }());
  loop.run_once(0ms);  // starts the task, which arms its timer
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(loop.run_once(0ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(loop.stats().timers, 1u);
  h.cancel();
  loop.run();
  EXPECT_TRUE(h.done());
}

TEST(Loop, RunReturnsWhenNothingIsLeft) {
  Loop loop;
  int steps = 0;
  auto h = loop.spawn([](int& n) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      ++n;
      co_await tide::sleep_for(1ms);
    }
  }(steps));
  loop.run();
  EXPECT_TRUE(h.done());
  EXPECT_EQ(steps, 3);
}

TEST(Loop, StopMakesRunReturn) {
  Loop loop;
  auto forever = loop.spawn([]() -> Task<void> {
    for (;;)
      co_await tide::sleep_for(1ms);
  }());
  auto stopper = loop.spawn([](Loop& l) -> Task<void> {
    co_await tide::sleep_for(5ms);
    l.stop();
  }(loop));
  loop.run();
  EXPECT_TRUE(stopper.done());
  EXPECT_FALSE(forever.done());
}

TEST(Loop, CurrentIsTheRunningLoop) {
  Loop loop;
  EXPECT_EQ(Loop::try_current(), nullptr);
  Loop* seen = nullptr;
  auto h = loop.spawn([](Loop*& out) -> Task<void> {
    out = &Loop::current();
    co_return;
  }(seen));
  loop.run();
  EXPECT_EQ(seen, &loop);
  EXPECT_EQ(Loop::try_current(), nullptr);
}

TEST(Loop, RunReenteredFromInsideTheLoopThrows) {
  Loop loop;
  bool threw_run = false, threw_once = false, threw_tide_run = false;
  auto h = loop.spawn(
      [](Loop& l, bool& run_threw, bool& once_threw, bool& tide_run_threw) -> Task<void> {
        try {
          l.run();
        } catch (const tide::UsageError&) {
          run_threw = true;
        }
        try {
          l.run_once(0ms);
        } catch (const tide::UsageError&) {
          once_threw = true;
        }
        try {
          tide::run([]() -> Task<void> { co_return; }());
        } catch (const tide::UsageError&) {
          tide_run_threw = true;
        }
        co_return;
      }(loop, threw_run, threw_once, threw_tide_run));
  loop.run();
  EXPECT_TRUE(threw_run);
  EXPECT_TRUE(threw_once);
  EXPECT_TRUE(threw_tide_run);
}

TEST(Loop, PostedCallbacksThatThrowSurfaceAndTheRestStillRun) {
  Loop loop;
  std::vector<int> ran;
  loop.post([&] { ran.push_back(1); });
  loop.post([&] {
    ran.push_back(2);
    throw std::runtime_error("posted failure");
  });
  loop.post([&] { ran.push_back(3); });
  try {
    loop.run_once(0ms);
    ADD_FAILURE() << "run_once did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "posted failure");
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));

  loop.post([] { throw std::logic_error("from run"); });
  loop.post([&] { ran.push_back(4); });
  EXPECT_THROW(loop.run(), std::logic_error);
  EXPECT_EQ(ran.back(), 4);
}

TEST(Loop, SecondFailureInABatchGoesToTheUnhandledHandler) {
  std::vector<std::string> reported;
  Loop::Options options;
  options.on_unhandled_exception = [&](std::exception_ptr e, std::string_view) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reported.emplace_back(ex.what());
    }
  };
  Loop loop(std::move(options));
  loop.post([] { throw std::runtime_error("first"); });
  loop.post([] { throw std::runtime_error("second"); });
  EXPECT_THROW(loop.run_once(0ms), std::runtime_error);
  EXPECT_EQ(reported, std::vector<std::string>{"second"});
}

TEST(Loop, DestroyingTheLoopDestroysSuspendedFrames) {
  int live = 0;
  {
    Loop loop;
    for (int i = 0; i < 10; ++i) {
      loop.spawn([](int& counter) -> Task<void> {
            tide::testing::LiveCounter c(counter);
            co_await tide::sleep_for(1h);
          }(live))
          .detach();
    }
    // Nested: a task suspended inside a task it awaits.
    loop.spawn([](int& counter) -> Task<void> {
          tide::testing::LiveCounter outer(counter);
          co_await [](int& c2) -> Task<void> {
            tide::testing::LiveCounter inner(c2);
            co_await tide::sleep_for(1h);
          }(counter);
        }(live))
        .detach();
    loop.run_once(0ms);
    EXPECT_EQ(live, 12);
    EXPECT_EQ(loop.stats().tasks, 11u);
  }
  EXPECT_EQ(live, 0);
}

TEST(Loop, HandleOutlivingItsLoopReportsLoopClosed) {
  tide::JoinHandle<int> handle;
  {
    Loop loop;
    handle = loop.spawn([]() -> Task<int> {
      co_await tide::sleep_for(1h);
      co_return 1;
    }());
    loop.run_once(0ms);
  }
  EXPECT_TRUE(handle.done());
  EXPECT_THROW(handle.result(), tide::LoopClosed);
}

TEST(Loop, RemoteOutlivingItsLoopThrowsLoopClosed) {
  std::optional<Loop::Remote> remote;
  {
    Loop loop;
    remote.emplace(loop.remote());
    int ran = 0;
    remote->post([&] { ++ran; });
    loop.run_once(0ms);
    EXPECT_EQ(ran, 1);
  }
  EXPECT_THROW(remote->post([] {}), tide::LoopClosed);
  EXPECT_THROW(remote->stop(), tide::LoopClosed);
}

// Suspends and registers nothing anywhere: only a bug (or this test) does that.
struct Never {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

TEST(Loop, DeadlockedRunFailsInsteadOfHanging) {
  int live = 0;
  EXPECT_THROW(tide::run([](int& counter) -> Task<void> {
                 tide::testing::LiveCounter c(counter);
                 co_await Never{};
               }(live)),
               tide::UsageError);
  EXPECT_EQ(live, 0);
}

TEST(Loop, BackendIsChosenByOptionsAndEnvironment) {
  Loop loop;
  const char* env = std::getenv("TIDE_BACKEND");
  if (env && std::string(env) != "auto") {
    EXPECT_EQ(loop.backend_name(), std::string(env));
  }
  Loop::Options poll_options;
  poll_options.backend = tide::Backend::Poll;
  EXPECT_EQ(Loop(poll_options).backend_name(), "poll");
  Loop::Options epoll_options;
  epoll_options.backend = tide::Backend::Epoll;
  EXPECT_EQ(Loop(epoll_options).backend_name(), "epoll");
}

TEST(Loop, UnknownBackendNamesAreRejectedClearly) {
  EXPECT_THROW((void)tide::parse_backend("carrier-pigeon"), std::invalid_argument);
  try {
    (void)tide::parse_backend("carrier-pigeon");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("carrier-pigeon"), std::string::npos);
  }
  Loop::Options kqueue;
  kqueue.backend = tide::Backend::Kqueue;
  EXPECT_THROW(Loop{kqueue}, std::invalid_argument);
}

// kqueue and IOCP are other platforms' backends: asked for here, the loop refuses clearly,
// naming the backend and saying it is not built for this platform.
TEST(Loop, BackendsOfOtherPlatformsAreRejectedClearly) {
  for (tide::Backend backend : {tide::Backend::Kqueue, tide::Backend::Iocp}) {
    const std::string name(tide::to_string(backend));
    try {
      tide::Loop::Options options;
      options.backend = backend;
      tide::Loop loop(std::move(options));
      ADD_FAILURE() << "a loop on " << name << " was built, backend " << loop.backend_name();
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("the " + name + " backend"), std::string::npos) << what;
      EXPECT_NE(what.find("not built for this platform"), std::string::npos) << what;
    }
  }
}

TEST(Loop, EmbeddingInterfaceReportsTimeoutsAndFd) {
  Loop loop;
  EXPECT_GE(loop.backend_fd(), 0);
  // Before its first turn an io_uring loop still has its wake-up poll to submit.
  if (loop.next_timeout() == std::chrono::nanoseconds::zero()) loop.run_once(0ms);
  EXPECT_FALSE(loop.next_timeout().has_value());
  auto h = loop.spawn([]() -> Task<void> { co_await tide::sleep_for(1h); }());
  EXPECT_EQ(loop.next_timeout(), std::chrono::nanoseconds::zero());  // the task is ready
  loop.run_once(0ms);
  auto t = loop.next_timeout();
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(*t, 59min);
  EXPECT_LE(*t, 1h);
  h.cancel();
  loop.run();
}

}  // namespace
