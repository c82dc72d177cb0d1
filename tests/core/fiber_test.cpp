// Fibres scheduled by the loop: spawn, join, kill, the tide::await bridge, sleeps, Timeout.
#include <tide/core/fiber.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/fiber_timeout.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/io/pipe.hpp>

#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Fiber;
using tide::Loop;
using tide::testing::LiveCounter;

// Runs `body` in a fibre on a fresh loop, joined from outside the loop (which runs the loop),
// and checks that nothing is left behind.
template <class Body>
void in_fibre(Body body, Loop::Options options = {}) {
  const int fds_before = tide::testing::open_fd_count();
  {
    Loop loop(std::move(options));
    auto main = tide::spawn_fiber(loop, std::move(body));
    main.join();
    auto stats = loop.stats();
    EXPECT_EQ(stats.tasks, 0u) << "tasks or fibres left running";
    EXPECT_EQ(stats.timers, 0u) << "timers left armed";
    EXPECT_EQ(stats.pending_io, 0u) << "I/O left pending";
  }
  EXPECT_EQ(tide::testing::open_fd_count(), fds_before) << "file descriptors leaked";
}

TEST(Fiber, ReturnsItsValueToJoin) {
  Loop loop;
  auto f = tide::spawn_fiber(
      loop, [](int a, std::string b) { return b + std::to_string(a); }, 42, std::string("x"));
  EXPECT_FALSE(f.done());
  std::string v = f.join();
  EXPECT_EQ(v, "x42");
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.killed());
}

// 500 fibres sleep 0-9 ms (50 to each delay), note their wake-up, yield once, note again.
TEST(Fiber, HundredsInterleaveTheirSleepsInDeadlineOrder) {
  constexpr int count = 500, delays = 10, per_delay = count / delays;
  std::vector<int> woke;  // i when fibre i wakes, 1000 + i after its yield
  in_fibre([&] {
    std::vector<Fiber<void>> fibres;
    for (int i = 0; i < count; ++i)
      fibres.push_back(tide::spawn_fiber([&woke, i] {
        tide::sleep(std::chrono::milliseconds(i * 7 % delays));
        woke.push_back(i);
        tide::yield_now();
        woke.push_back(1000 + i);
      }));
    EXPECT_EQ(tide::joinall(fibres), static_cast<std::size_t>(count));
  });
  ASSERT_EQ(woke.size(), 2u * count);
  // All started in one iteration, so they wake sorted by delay, FIFO among equal delays.
  std::vector<int> first;
  for (int v : woke)
    if (v < 1000) first.push_back(v);
  std::vector<int> expected;
  for (int d = 0; d < delays; ++d)
    for (int i = 0; i < count; ++i)
      if (i * 7 % delays == d) expected.push_back(i);
  EXPECT_EQ(first, expected);
  // The fibres woken in one tick (whole delay groups: equal deadlines fire together) all run,
  // then all yield: the log is batches of wake-ups, each followed by the same fibres' second
  // entries in the same order, before the next batch wakes.
  std::size_t k = 0, woken = 0;
  while (k < woke.size()) {
    std::vector<int> batch;
    while (k < woke.size() && woke[k] < 1000)
      batch.push_back(woke[k++]);
    ASSERT_FALSE(batch.empty()) << "entry " << k << " (" << woke[k] << ") before its wake-up";
    woken += batch.size();
    ASSERT_EQ(woken % per_delay, 0u)
        << "a batch of " << batch.size() << " ends inside a delay group, at entry " << k;
    for (int i : batch) {
      ASSERT_LT(k, woke.size());
      ASSERT_EQ(woke[k], 1000 + i) << "entry " << k << ": not the batch's yield, in order";
      ++k;
    }
  }
}

TEST(Fiber, YieldNowAlternatesFibresFairly) {
  std::string trace;
  in_fibre([&] {
    auto a = tide::spawn_fiber([&] {
      for (int i = 0; i < 3; ++i) {
        trace += 'a';
        tide::yield_now();
      }
    });
    auto b = tide::spawn_fiber([&] {
      for (int i = 0; i < 3; ++i) {
        trace += 'b';
        tide::yield_now();
      }
    });
    a.join();
    b.join();
  });
  EXPECT_EQ(trace, "ababab");
}

TEST(Fiber, ExceptionReachesJoin) {
  in_fibre([] {
    auto f = tide::spawn_fiber([]() -> int {
      tide::sleep(1ms);
      throw std::runtime_error("broken fibre");
    });
    try {
      (void)static_cast<int>(f.join());
      ADD_FAILURE() << "join did not rethrow";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "broken fibre");
    }
  });
}

TEST(Fiber, DiscardedJoinStillRethrows) {
  in_fibre([] {
    auto f = tide::spawn_fiber([] { throw std::logic_error("void fibre failed"); });
    EXPECT_THROW(f.join(), std::logic_error);
  });
}

TEST(Fiber, KillWhileSleepingRaisesFiberExitAtTheSuspensionPoint) {
  int live = 0;
  bool cleaned_up = false;
  in_fibre([&] {
    auto f = tide::spawn_fiber([&] {
      LiveCounter guard(live);
      try {
        tide::sleep(1h);
      } catch (const tide::FiberExit&) {
        cleaned_up = true;
        throw;
      }
    });
    tide::yield_now();  // it is asleep now
    EXPECT_EQ(live, 1);
    f.kill();
    EXPECT_THROW(f.join(), tide::FiberExit);
    EXPECT_TRUE(f.killed());
    EXPECT_TRUE(f.done());
  });
  EXPECT_TRUE(cleaned_up);
  EXPECT_EQ(live, 0);
}

TEST(Fiber, JoiningAKilledFibreRaisesFiberExitWithoutKillingTheJoiner) {
  in_fibre([] {
    auto victim = tide::spawn_fiber([] { tide::sleep(1h); });
    auto joiner = tide::spawn_fiber([&victim] { victim.join(); });
    tide::yield_now();
    victim.kill();
    EXPECT_THROW(joiner.join(), tide::FiberExit);
    EXPECT_TRUE(victim.killed());
    EXPECT_FALSE(joiner.killed());
  });
}

TEST(Fiber, KillWhileAwaitingAPipeReadCancelsTheRead) {
  in_fibre([] {
    tide::io::Pipe pipe;
    auto reader = tide::spawn_fiber([&] {
      char buffer[16];
      return tide::await(pipe.read(std::span<char>(buffer)));
    });
    tide::yield_now();  // the read is in flight
    reader.kill();
    EXPECT_THROW(reader.join(), tide::FiberExit);
    // The cancelled read took nothing: the next reader gets the bytes.
    tide::await(pipe.write_all(std::string_view("ping")));
    char buffer[16];
    std::size_t n = tide::await(pipe.read(std::span<char>(buffer)));
    EXPECT_EQ(std::string(buffer, n), "ping");
  });
}

TEST(Fiber, KilledBeforeItStartsNeverRuns) {
  bool ran = false;
  in_fibre([&] {
    auto f = tide::spawn_fiber([&] { ran = true; });
    f.kill();
    EXPECT_THROW(f.join(), tide::FiberExit);
    EXPECT_TRUE(f.killed());
  });
  EXPECT_FALSE(ran);
}

TEST(Fiber, DroppingTheHandleKillsTheFibre) {
  int live = 0;
  in_fibre([&] {
    {
      auto f = tide::spawn_fiber([&] {
        LiveCounter guard(live);
        tide::sleep(1h);
      });
      tide::yield_now();
      EXPECT_EQ(live, 1);
    }
    tide::yield_now();  // the kill is delivered
    EXPECT_EQ(live, 0);
  });
}

TEST(Fiber, DetachedFibreRunsOnAndReportsItsException) {
  std::vector<std::string> reported;
  Loop::Options options;
  options.on_unhandled_exception = [&](std::exception_ptr, std::string_view what) {
    reported.emplace_back(what);
  };
  bool finished = false;
  in_fibre(
      [&] {
        auto f = tide::spawn_fiber(tide::FiberOptions{.name = "lonely"}, [&] {
          tide::sleep(1ms);
          finished = true;
          throw std::runtime_error("nobody joins me");
        });
        f.detach();
        tide::sleep(5ms);
      },
      std::move(options));
  EXPECT_TRUE(finished);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("fibre"), std::string::npos) << reported[0];
  EXPECT_NE(reported[0].find("lonely"), std::string::npos) << reported[0];
}

tide::Task<int> twice_later(int v) {
  co_await tide::sleep_for(1ms);
  co_return v * 2;
}

TEST(Fiber, AwaitsTasksAndJoinHandles) {
  in_fibre([] {
    EXPECT_EQ(tide::await(twice_later(4)), 8);
    auto handle = tide::spawn(twice_later(5));
    EXPECT_EQ(tide::await(handle), 10);
  });
}

TEST(Fiber, TaskAwaitsAFibre) {
  Loop loop;
  int v = loop.run_until_complete([]() -> tide::Task<int> {
    auto f = tide::spawn_fiber([] {
      tide::sleep(1ms);
      return 21;
    });
    auto g = tide::spawn_fiber([] { return 1; });
    co_return 2 * co_await f.join() - co_await g;  // the handle itself is awaitable too
  }());
  EXPECT_EQ(v, 41);
}

TEST(Fiber, FibresAndTasksWaitOnEachOtherBothWays) {
  std::vector<std::string> trace;
  Loop loop;
  loop.run_until_complete([&]() -> tide::Task<> {
    auto fibre = tide::spawn_fiber([&] {
      auto task = tide::spawn([](std::vector<std::string>& out) -> tide::Task<int> {
        out.push_back("task runs");
        co_await tide::sleep_for(1ms);
        co_return 7;
      }(trace));
      int v = tide::await(task);
      trace.push_back("fibre got " + std::to_string(v));
      return v + 1;
    });
    int w = co_await fibre.join();
    trace.push_back("task got " + std::to_string(w));
  }());
  EXPECT_EQ(trace, (std::vector<std::string>{"task runs", "fibre got 7", "task got 8"}));
}

TEST(Fiber, ExceptionsCaughtAcrossSwitchesStayWithTheirFibre) {
  in_fibre([] {
    auto rethrower = [](std::string name) {
      return [name] {
        try {
          throw std::runtime_error(name);
        } catch (...) {
          tide::yield_now();  // another fibre throws and catches meanwhile
          EXPECT_EQ(std::uncaught_exceptions(), 0);
          throw;  // must rethrow this fibre's own exception
        }
      };
    };
    auto a = tide::spawn_fiber(rethrower("a"));
    auto b = tide::spawn_fiber(rethrower("b"));
    try {
      a.join();
      ADD_FAILURE();
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "a");
    }
    try {
      b.join();
      ADD_FAILURE();
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "b");
    }
  });
}

TEST(Fiber, TimeoutScopeRaisesTimeoutErrorWhenTimeIsUp) {
  in_fibre([] {
    bool raised = false;
    try {
      tide::Timeout limit(2ms);
      tide::sleep(1h);
    } catch (const tide::TimeoutError&) {
      raised = true;
    }
    EXPECT_TRUE(raised);
    // A scope left in time raises nothing, then or later.
    {
      tide::Timeout limit(1h);
      tide::sleep(1ms);
      EXPECT_FALSE(limit.expired());
    }
    tide::sleep(1ms);
  });
}

TEST(Fiber, TimeoutThatExpiredButWasNotDeliveredIsWithdrawnWhenTheScopeEnds) {
  in_fibre([] {
    {
      tide::Timeout limit(0ms);
      // The task finishes (with a value) in the same iteration the timeout fires: the join
      // returns the value, the TimeoutError is still pending when the scope ends.
      auto task = tide::spawn([]() -> tide::Task<int> { co_return 5; }());
      EXPECT_EQ(tide::await(task), 5);
      EXPECT_TRUE(limit.expired());
    }
    tide::sleep(1ms);  // no TimeoutError here, nor later
    tide::yield_now();
  });
}

// A TimeoutError passes through every scope around the suspension point, whichever of them
// ran out: expired() must tell which one did.
TEST(Fiber, NestedTimeoutsTellWhichRanOut) {
  in_fibre([] {
    bool raised = false;
    tide::Timeout outer(2ms);
    try {
      tide::Timeout inner(1h);
      try {
        tide::sleep(1h);
      } catch (const tide::TimeoutError&) {
        raised = true;
        EXPECT_FALSE(inner.expired()) << "the inner scope (1 h) claims the outer one's timeout";
        throw;
      }
    } catch (const tide::TimeoutError&) {
      EXPECT_TRUE(outer.expired());
    }
    EXPECT_TRUE(raised);
  });
  in_fibre([] {
    bool raised = false;
    tide::Timeout outer(1h);
    try {
      tide::Timeout inner(2ms);
      try {
        tide::sleep(1h);
      } catch (const tide::TimeoutError&) {
        raised = true;
        EXPECT_TRUE(inner.expired());
        throw;
      }
    } catch (const tide::TimeoutError&) {
      EXPECT_FALSE(outer.expired()) << "the outer scope (1 h) claims the inner one's timeout";
    }
    EXPECT_TRUE(raised);
  });
}

TEST(Fiber, TimeoutCancelsAnAwaitedTask) {
  in_fibre([] {
    EXPECT_THROW(
        {
          tide::Timeout limit(1ms);
          tide::await([]() -> tide::Task<> { co_await tide::sleep_for(1h); }());
        },
        tide::TimeoutError);
  });
}

TEST(Fiber, JoinallReturnsHowManyFinishedInTime) {
  in_fibre([] {
    auto quick = tide::spawn_fiber([] { tide::sleep(1ms); });
    auto slow = tide::spawn_fiber([] {
      tide::sleep(1h);
      return 1;
    });
    EXPECT_EQ(tide::joinall({quick, slow}, 20ms), 1u);
    EXPECT_TRUE(quick.done());
    EXPECT_FALSE(slow.done());
    slow.kill();
    EXPECT_EQ(tide::joinall({quick, slow}), 2u);
  });
}

TEST(Fiber, JoinOutsideTheLoopRunsTheLoop) {
  Loop loop;
  std::vector<int> order;
  auto a = tide::spawn_fiber(loop, [&] {
    tide::sleep(2ms);
    order.push_back(2);
  });
  auto b = loop.spawn_fiber([&] {  // the member spelling
    tide::sleep(1ms);
    order.push_back(1);
  });
  EXPECT_EQ(tide::joinall({a, b}, std::chrono::duration<double>(60.0)), 2u);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Fiber, LoopDestroyedWhileFibresWaitUnwindsTheirStacks) {
  int live = 0;
  std::vector<std::string> seen;
  {
    Loop loop;
    auto waiting = tide::spawn_fiber(loop, [&] {
      LiveCounter guard(live);
      try {
        tide::sleep(1h);
      } catch (const tide::FiberExit&) {
        seen.push_back("exit");
        try {
          tide::sleep(1ms);  // no waiting while the loop goes away
        } catch (const tide::LoopClosed&) {
          seen.push_back("closed");
        }
        throw;
      }
    });
    loop.run_once(0ns);
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);
  EXPECT_EQ(seen, (std::vector<std::string>{"exit", "closed"}));
}

TEST(Fiber, HandleThatOutlivesItsLoopReportsLoopClosed) {
  Fiber<int> orphan;
  {
    Loop loop;
    orphan = tide::spawn_fiber(loop, [] {
      tide::sleep(1h);
      return 1;
    });
    loop.run_once(0ns);
  }
  EXPECT_TRUE(orphan.done());
  EXPECT_THROW((void)static_cast<int>(orphan.join()), tide::LoopClosed);
}

TEST(Fiber, MisuseIsAClearError) {
  // No fibre: the bridge says so.
  try {
    tide::await(tide::sleep_for(1ms));
    ADD_FAILURE();
  } catch (const tide::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not inside a fibre"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tide::sleep(1ms), tide::UsageError);
  EXPECT_THROW(tide::Timeout(1s), tide::UsageError);
  EXPECT_THROW((void)tide::spawn_fiber([] {}), tide::UsageError);  // no loop running

  Loop loop;
  loop.run_until_complete([]() -> tide::Task<> {
    EXPECT_THROW(tide::yield_now(), tide::UsageError);  // a task must co_await it
    auto f = tide::spawn_fiber([] { return 1; });
    EXPECT_THROW((void)static_cast<int>(f.join()), tide::UsageError);  // would block the loop
    EXPECT_EQ(co_await f.join(), 1);
    EXPECT_THROW((void)f.result(), tide::UsageError);  // taken once
  }());
  Fiber<void> self;
  self = tide::spawn_fiber(loop, [&self] {
    try {
      self.join();
      ADD_FAILURE() << "a fibre joined itself";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("joins itself"), std::string::npos) << e.what();
    }
  });
  self.join();
}

// A stack size of 0, or one so large that rounding it up to pages overflows, is refused with
// std::invalid_argument naming it, before anything is created; the loop goes on.
TEST(Fiber, StackSizeOfZeroOrTooLargeToRoundUpIsRejected) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
  Loop loop;
  for (std::size_t size : {std::size_t{0}, max - page + 2, max}) {
    tide::FiberOptions options;
    options.stack_size = size;
    try {
      auto f = tide::spawn_fiber(loop, options, [] {});
      ADD_FAILURE() << "stack_size " << size << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(size)), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(loop.stats().tasks, 0u);
  EXPECT_EQ(tide::spawn_fiber(loop, [] { return 1; }).join(), 1);
}

}  // namespace
