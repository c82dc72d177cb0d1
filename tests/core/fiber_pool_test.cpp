// FiberPool: gevent.pool.Pool on tide's fibres.
#include <tide/core/fiber_pool.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>

namespace {

using namespace std::chrono_literals;
using tide::FiberPool;
using tide::Loop;

TEST(FiberPool, NeverRunsMoreThanItsSizeAndSpawnWaitsForAFreeSlot) {
  Loop loop;
  int running = 0, most = 0, done = 0;
  std::vector<int> started;
  auto main = tide::spawn_fiber(loop, [&] {
    FiberPool pool(3);
    for (int i = 0; i < 10; ++i) {
      pool.spawn([&, i] {
        started.push_back(i);
        most = std::max(most, ++running);
        tide::sleep(1ms);
        --running;
        ++done;
      });
      EXPECT_LE(pool.running(), 3u);
    }
    pool.join();
    EXPECT_EQ(pool.running(), 0u);
    EXPECT_EQ(pool.free_count(), 3u);
  });
  main.join();
  EXPECT_EQ(most, 3);
  EXPECT_EQ(done, 10);
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(loop.stats().tasks, 0u);
}

TEST(FiberPool, MapKeepsTheItemsOrderWithBoundedConcurrency) {
  Loop loop;
  FiberPool pool(loop, 4);
  int running = 0, most = 0;
  std::vector<int> items{5, 1, 4, 2, 3, 0, 6};
  // Outside the loop, map runs the loop until every item is done.
  std::vector<std::string> out = pool.map(
      [&](int v) {
        most = std::max(most, ++running);
        tide::sleep(std::chrono::milliseconds(v));
        --running;
        return std::to_string(v * 10);
      },
      items);
  EXPECT_EQ(out, (std::vector<std::string>{"50", "10", "40", "20", "30", "0", "60"}));
  EXPECT_EQ(most, 4);
}

TEST(FiberPool, MapRethrowsTheFirstFailureAfterAllAreDone) {
  Loop loop;
  FiberPool pool(loop, 2);
  int finished = 0;
  EXPECT_THROW(pool.map(
                   [&](int v) {
                     tide::sleep(std::chrono::milliseconds(v));
                     ++finished;
                     if (v == 1) throw std::runtime_error("item 1 failed");
                   },
                   std::vector<int>{3, 1, 2}),
               std::runtime_error);
  EXPECT_EQ(finished, 3);
}

TEST(FiberPool, JoinRethrowsAnEscapedExceptionOnce) {
  Loop loop;
  FiberPool pool(loop, 2);
  pool.spawn([] { throw std::logic_error("pool fibre failed"); });
  pool.spawn([] { tide::sleep(1ms); });
  EXPECT_THROW(pool.join(), std::logic_error);
  EXPECT_NO_THROW(pool.join());
}

TEST(FiberPool, KillAndDestructionEndTheFibres) {
  Loop loop;
  int live = 0;
  struct Live {
    int& n;
    explicit Live(int& c) : n(c) { ++n; }
    ~Live() { --n; }
  };
  {
    FiberPool pool(loop, 5);
    for (int i = 0; i < 5; ++i)
      pool.spawn([&] {
        Live guard(live);
        tide::sleep(1h);
      });
    loop.run_once(0ns);
    EXPECT_EQ(live, 5);
    pool.kill();
    pool.join();  // killed fibres end with FiberExit, which join does not report
    EXPECT_EQ(live, 0);
    for (int i = 0; i < 3; ++i)
      pool.spawn([&] {
        Live guard(live);
        tide::sleep(1h);
      });
    loop.run_once(0ns);
    EXPECT_EQ(live, 3);
  }  // destroying the pool kills the rest
  while (loop.run_once(0ns)) {
  }
  EXPECT_EQ(live, 0);
  EXPECT_EQ(loop.stats().tasks, 0u);
}

TEST(FiberPool, MisuseIsAClearError) {
  EXPECT_THROW(FiberPool(0), std::invalid_argument);
  FiberPool unbound(2);
  EXPECT_THROW(unbound.spawn([] {}), tide::UsageError);  // no loop running, none given
  Loop loop;
  FiberPool pool(loop, 1);
  loop.run_until_complete([](FiberPool& p) -> tide::Task<> {
    p.spawn([] { tide::sleep(1ms); });               // a free slot: fine from a task
    EXPECT_THROW(p.spawn([] {}), tide::UsageError);  // full: would block the loop
    EXPECT_THROW(p.join(), tide::UsageError);        // as would join
    co_await tide::sleep_for(5ms);
  }(pool));
  pool.join();
}

}  // namespace
