#include <tide/core/timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Loop;
using tide::Timer;

TEST(Timer, FiresInDeadlineOrder) {
  Loop loop;
  std::vector<int> order;
  Timer a(loop), b(loop), c(loop);
  a.start(3ms, [&] { order.push_back(3); });
  b.start(1ms, [&] { order.push_back(1); });
  c.start(2ms, [&] { order.push_back(2); });
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(a.armed());
}

TEST(Timer, CancelledTimerNeverFires) {
  Loop loop;
  bool fired = false;
  Timer t(loop);
  t.start(1ms, [&] { fired = true; });
  EXPECT_TRUE(t.armed());
  EXPECT_TRUE(t.cancel());
  EXPECT_FALSE(t.cancel());
  loop.run();
  EXPECT_FALSE(fired);
  EXPECT_EQ(loop.stats().timers, 0u);
}

TEST(Timer, CallbackCanRestartItsTimer) {
  Loop loop;
  int fired = 0;
  Timer t(loop);
  std::function<void()> again = [&] {
    if (++fired < 5) t.start(0ms, again);
  };
  t.start(0ms, again);
  loop.run();
  EXPECT_EQ(fired, 5);
}

TEST(Timer, ThrowingCallbackSurfacesFromRunOnce) {
  Loop loop;
  Timer t(loop);
  t.start(0ms, [] { throw std::runtime_error("timer failed"); });
  EXPECT_THROW(while (loop.run_once(10ms)){}, std::runtime_error);
  EXPECT_FALSE(t.armed());
}

TEST(Timer, DestroyingAnArmedTimerDisarmsIt) {
  Loop loop;
  {
    Timer t(loop);
    t.start(1h, [] {});
    EXPECT_EQ(loop.stats().timers, 1u);
  }
  EXPECT_EQ(loop.stats().timers, 0u);
  EXPECT_FALSE(loop.run_once(0ms));
}

}  // namespace
