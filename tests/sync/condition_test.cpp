// tide::Condition: waits that always end holding the mutex, from tasks and from fibres.
#include <tide/sync/condition.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>
#include <tide/sync/mutex.hpp>

#include "lock_workers.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Condition;
using tide::Task;
using tide::testing::settle;
using tide::testing::start;
using tide::testing::Style;
using tide::testing::turns_until;
using tide::testing::Worker;

// ---- producer and consumers with wait_for(predicate) -------------------------------------

struct Shop {
  Condition ready;
  std::deque<int> items;
  bool closed = false;
  std::vector<int> taken;
  bool has_work() const { return !items.empty() || closed; }
  // With the mutex held after wait_for: takes an item; false once closed and drained.
  bool take() {
    EXPECT_TRUE(ready.mutex().locked());
    EXPECT_TRUE(has_work());
    if (items.empty()) return false;
    taken.push_back(items.front());
    items.pop_front();
    return true;
  }
};

Task<void> consume_task(Shop& s) {
  for (bool more = true; more;) {
    auto guard = co_await s.ready.scoped_lock();
    co_await s.ready.wait_for([&s] { return s.has_work(); });
    more = s.take();
  }
}

void consume_fibre(Shop& s) {
  for (bool more = true; more;) {
    auto guard = tide::await(s.ready.scoped_lock());
    tide::await(s.ready.wait_for([&s] { return s.has_work(); }));
    more = s.take();
  }
}

Task<void> produce_task(Shop& s) {
  for (int i = 1; i <= 10; ++i) {
    co_await s.ready.lock();
    s.items.push_back(i);
    s.ready.notify();
    s.ready.unlock();
    if (i % 3 == 0) co_await tide::yield_now();  // sometimes several items queue up
  }
  auto guard = co_await s.ready.scoped_lock();
  s.closed = true;
  s.ready.notify_all();
}

void produce_fibre(Shop& s) {
  for (int i = 1; i <= 10; ++i) {
    tide::await(s.ready.lock());
    s.items.push_back(i);
    s.ready.notify();
    s.ready.unlock();
    if (i % 3 == 0) tide::yield_now();
  }
  auto guard = tide::await(s.ready.scoped_lock());
  s.closed = true;
  s.ready.notify_all();
}

Task<void> producer_and_consumers(Style style) {
  Shop s;
  std::vector<Worker> workers;
  for (int i = 0; i < 3; ++i)
    workers.push_back(start(
        style, [&] { return consume_task(s); }, [&] { consume_fibre(s); }));
  workers.push_back(start(
      style, [&] { return produce_task(s); }, [&] { produce_fibre(s); }));
  for (auto& w : workers)
    co_await w.join();
  EXPECT_EQ(s.taken, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_TRUE(s.items.empty());
  EXPECT_FALSE(s.ready.mutex().locked());
}
TIDE_TEST_BOTH_STYLES(Condition, ConsumersWaitForAPredicateAndTakeEveryItemOnce,
                      producer_and_consumers)

// ---- a wait that is cancelled or times out takes the mutex back before it throws ----------

// The timed wait's limit: long enough that the waiter cannot time out before this test's task
// holds the mutex, even when turns are slow (sanitizers, a loaded machine).
constexpr auto kWaitLimit = 50ms;

struct Interrupted {
  Condition ready;
  bool arrived = false;
  bool other_released = false;  // the test's task held the mutex meanwhile and let it go
  bool caught_holding = false;  // in the catch block: the mutex is locked, by the waiter
  bool caught = false;
  bool timed = false;           // wrap the wait in tide::timeout instead of cancelling it
  bool second_pending = false;  // the second cancellation came at the next suspension point
};

void note_catch(Interrupted& w) {
  w.caught = true;
  w.caught_holding = w.ready.mutex().locked() && w.other_released;
}

Task<void> interrupted_task(Interrupted& w) {
  auto guard = co_await w.ready.scoped_lock();
  w.arrived = true;
  try {
    if (w.timed)
      co_await tide::timeout(kWaitLimit, w.ready.wait());
    else
      co_await w.ready.wait();
  } catch (const tide::Cancelled&) {
    note_catch(w);
    throw;
  } catch (const tide::TimeoutError&) {
    note_catch(w);
    throw;
  }
}

void interrupted_fibre(Interrupted& w) {
  auto guard = tide::await(w.ready.scoped_lock());
  w.arrived = true;
  try {
    if (w.timed)
      tide::await(tide::timeout(kWaitLimit, w.ready.wait()));
    else
      tide::await(w.ready.wait());
  } catch (const tide::Cancelled&) {  // FiberExit, for a kill
    note_catch(w);
    throw;
  } catch (const tide::TimeoutError&) {
    note_catch(w);
    throw;
  }
}

// The waiter waits; this task takes the mutex, interrupts the waiter (cancels it, or lets its
// deadline pass), and holds on: the waiter must not throw until it has the mutex back.
Task<void> interrupted_wait(Style style, bool timed) {
  Interrupted w;
  w.timed = timed;
  Worker waiter = start(
      style, [&] { return interrupted_task(w); }, [&] { interrupted_fibre(w); });
  co_await turns_until([&] { return w.arrived; });
  co_await settle();  // it waits (its timeout's child task too)
  co_await w.ready.lock();
  const auto locked_at = tide::Loop::Clock::now();
  if (timed) {
    while (tide::Loop::Clock::now() <= locked_at + kWaitLimit) {
      // busy: the waiter's deadline (set before we locked) passes while we hold the mutex
    }
  } else {
    waiter.cancel();
  }
  co_await settle();  // it has left the notify queue and waits for the mutex
  EXPECT_FALSE(waiter.done()) << "it ended without the mutex";
  EXPECT_FALSE(w.caught);
  w.other_released = true;
  w.ready.unlock();
  if (timed)
    EXPECT_THROW(co_await waiter.join(), tide::TimeoutError);
  else
    EXPECT_THROW(co_await waiter.join(), tide::Cancelled);
  EXPECT_TRUE(w.caught);
  EXPECT_TRUE(w.caught_holding) << "the catch block ran without the mutex";
  EXPECT_FALSE(w.ready.mutex().locked());  // the waiter's guard released it
}

Task<void> cancelled_wait(Style style) {
  return interrupted_wait(style, false);
}
Task<void> timed_out_wait(Style style) {
  return interrupted_wait(style, true);
}
TIDE_TEST_BOTH_STYLES(Condition, ACancelledWaitTakesTheMutexBackBeforeItThrows, cancelled_wait)
TIDE_TEST_BOTH_STYLES(Condition, AWaitThatTimesOutTakesTheMutexBackBeforeItThrows, timed_out_wait)

// A fibre counts all kills as one (tide::await delivers them together), so this is about tasks.
TEST(Condition, ASecondCancellationDuringTheReacquireStaysPendingForTheNextSuspension) {
  tide::testing::run_clean([]() -> Task<void> {
    Interrupted w;
    auto waiter = tide::spawn([](Interrupted& x) -> Task<void> {
      auto guard = co_await x.ready.scoped_lock();
      x.arrived = true;
      try {
        co_await x.ready.wait();
      } catch (const tide::Cancelled&) {
        note_catch(x);
      }
      try {
        co_await tide::yield_now();
      } catch (const tide::Cancelled&) {
        x.second_pending = true;
      }
    }(w));
    co_await turns_until([&] { return w.arrived; });
    co_await settle();
    co_await w.ready.lock();
    waiter.cancel();
    co_await settle();  // now waiting for the mutex, uninterruptibly
    waiter.cancel();
    co_await settle();
    EXPECT_FALSE(waiter.done());
    w.other_released = true;
    w.ready.unlock();
    co_await waiter;
    EXPECT_TRUE(w.caught_holding);
    EXPECT_TRUE(w.second_pending);
    EXPECT_FALSE(w.ready.mutex().locked());
  });
}

// ---- notify(n) and notify_all -------------------------------------------------------------

struct Waiters {
  Condition ready;
  int arrived = 0;
  std::vector<std::string> woken;
};

Task<void> wait_task(Waiters& s, std::string name) {
  auto guard = co_await s.ready.scoped_lock();
  ++s.arrived;
  co_await s.ready.wait();
  EXPECT_TRUE(s.ready.mutex().locked());
  s.woken.push_back(name);
}

void wait_fibre(Waiters& s, const std::string& name) {
  auto guard = tide::await(s.ready.scoped_lock());
  ++s.arrived;
  tide::await(s.ready.wait());
  EXPECT_TRUE(s.ready.mutex().locked());
  s.woken.push_back(name);
}

Worker start_waiter(Style style, Waiters& s, const std::string& name) {
  return start(
      style, [&s, name] { return wait_task(s, name); }, [&s, name] { wait_fibre(s, name); });
}

Task<void> notify_skips_the_cancelled(Style style) {
  Waiters s;
  std::vector<Worker> w;
  for (const char* name : {"a", "b", "c"}) {
    w.push_back(start_waiter(style, s, name));
    const int expected = static_cast<int>(w.size());
    co_await turns_until([&] { return s.arrived == expected; });
  }
  co_await s.ready.lock();
  w[0].cancel();      // "a" leaves the queue now...
  s.ready.notify(1);  // ...so this goes to "b", and "c" waits on
  s.ready.unlock();
  EXPECT_THROW(co_await w[0].join(), tide::Cancelled);
  co_await w[1].join();
  co_await settle();
  EXPECT_EQ(s.woken, std::vector<std::string>{"b"});
  EXPECT_FALSE(w[2].done());
  co_await s.ready.lock();
  s.ready.notify(5);  // more than wait: wakes the one there is
  s.ready.unlock();
  co_await w[2].join();
  EXPECT_EQ(s.woken, (std::vector<std::string>{"b", "c"}));
}
TIDE_TEST_BOTH_STYLES(Condition, NotifyOnACancelledWaiterGoesToTheNext, notify_skips_the_cancelled)

Task<void> notify_all_wakes_those_waiting(Style style) {
  Waiters s;
  std::vector<Worker> w;
  for (const char* name : {"a", "b", "c"})
    w.push_back(start_waiter(style, s, name));
  co_await turns_until([&] { return s.arrived == 3; });
  co_await s.ready.lock();
  s.ready.notify_all();
  s.ready.unlock();
  w.push_back(start_waiter(style, s, "late"));  // starts waiting after the notify_all
  for (int i = 0; i < 3; ++i)
    co_await w[i].join();
  co_await turns_until([&] { return s.arrived == 4; });
  co_await settle();
  EXPECT_EQ(s.woken, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(w[3].done());
  co_await s.ready.lock();
  s.ready.notify_all();
  s.ready.unlock();
  co_await w[3].join();
  EXPECT_EQ(s.woken.size(), 4u);
}
TIDE_TEST_BOTH_STYLES(Condition, NotifyAllWakesEveryWaiterWaitingThen,
                      notify_all_wakes_those_waiting)

// ---- construction and misuse ------------------------------------------------------------

TEST(Condition, SharesAMutexItIsGivenAndForwardsLocking) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::Mutex mutex;
    Condition a(mutex);
    Condition b(mutex);
    EXPECT_EQ(&a.mutex(), &mutex);
    co_await a.lock();
    EXPECT_TRUE(b.mutex().locked());
    b.unlock();
    {
      auto guard = co_await b.scoped_lock();
      EXPECT_TRUE(mutex.locked());
    }
    EXPECT_FALSE(mutex.locked());
    Condition own;
    EXPECT_NE(&own.mutex(), &mutex);
  });
}

TEST(Condition, WaitingOrNotifyingWithoutTheMutexIsAUsageError) {
  tide::testing::run_clean([]() -> Task<void> {
    Condition ready;
    try {
      co_await ready.wait();
      ADD_FAILURE() << "no UsageError";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("tide::Condition::wait()"), std::string::npos);
    }
    EXPECT_THROW(co_await ready.wait_for([] { return true; }), tide::UsageError);
    EXPECT_THROW(ready.notify(), tide::UsageError);
    EXPECT_THROW(ready.notify_all(), tide::UsageError);
  });
}

// ---- a mutex handed back to a waiter destroyed before it resumed ---------------------------

// The waiter was notified, queued for the mutex again and was handed it; then its loop is
// destroyed before it runs: the mutex must not stay locked for nobody.
void reacquirer_destroyed_unresumed(Style style) {
  Condition ready;  // outlives the loop
  bool waiting = false;
  {
    tide::Loop loop;
    if (style == Style::task) {
      loop.spawn([](Condition& c, bool& flag) -> Task<void> {
            co_await c.lock();
            flag = true;
            co_await c.wait();
            ADD_FAILURE() << "resumed, though its loop was destroyed first";
          }(ready, waiting))
          .detach();
    } else {
      tide::spawn_fiber(loop, [&] {
        tide::await(ready.lock());
        waiting = true;
        tide::await(ready.wait());
        ADD_FAILURE() << "resumed, though its loop was destroyed first";
      }).detach();
    }
    for (int turn = 0; turn < 10 && !waiting; ++turn)
      loop.run_once(0ms);
    ASSERT_TRUE(waiting);
    loop.run_once(0ms);  // parked in the condition, the mutex released
    ASSERT_TRUE(ready.mutex().try_lock());
    ready.notify();
    loop.run_once(0ms);  // woken: queues for the mutex, which is held here
    ready.unlock();      // handed to it; the loop goes before it runs
    EXPECT_TRUE(ready.mutex().locked());
  }
  EXPECT_FALSE(ready.mutex().locked()) << "the mutex went down with a waiter that never used it";
}

TEST(Condition, AMutexHandedBackToATaskDestroyedBeforeItResumedIsPassedOn) {
  reacquirer_destroyed_unresumed(Style::task);
}
TEST(Condition, AMutexHandedBackToAFibreDestroyedBeforeItResumedIsPassedOn) {
  reacquirer_destroyed_unresumed(Style::fibre);
}

TEST(Condition, UsingItFromAnotherThreadIsAUsageError) {
  Condition ready;
  ASSERT_TRUE(ready.mutex().try_lock());
  ready.notify();  // binds it to this thread
  std::thread([&] {
    try {
      ready.notify_all();
      ADD_FAILURE() << "no UsageError";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("tide::Condition"), std::string::npos) << e.what();
    }
  }).join();
  ready.unlock();
}

}  // namespace
