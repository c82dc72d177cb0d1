// tide::RecursiveMutex: re-entry by its holder, from tasks and from fibres.
#include <tide/sync/recursive_mutex.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
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
#include <tide/sync/event.hpp>

#include "lock_workers.hpp"

namespace {

using namespace std::chrono_literals;
using tide::RecursiveMutex;
using tide::Task;
using tide::testing::start;
using tide::testing::Style;
using tide::testing::turns_until;
using tide::testing::Worker;

// ---- nested locking by the holder; another waits for depth 0 -------------------------------

struct Nest {
  RecursiveMutex lock;
  int arrived = 0;
  std::vector<std::string> log;
  void in(const std::string& who, int level) {
    log.push_back(who + " in " + std::to_string(level));
    EXPECT_EQ(lock.depth(), static_cast<std::size_t>(level));
  }
  void out(const std::string& who, int level) {
    log.push_back(who + " out " + std::to_string(level));
  }
};

// Locks at every level of a nested call, down to `levels`; yields on the way back so that a
// waiter could take the lock between the inner unlocks if they released it.
Task<void> nest_task(Nest& n, std::string who, int level, int levels) {
  if (level == 1) ++n.arrived;
  co_await n.lock.lock();
  n.in(who, level);
  if (level < levels) co_await nest_task(n, who, level + 1, levels);
  co_await tide::yield_now();
  n.out(who, level);
  n.lock.unlock();
}

void nest_fibre(Nest& n, const std::string& who, int level, int levels) {
  if (level == 1) ++n.arrived;
  tide::await(n.lock.lock());
  n.in(who, level);
  if (level < levels) nest_fibre(n, who, level + 1, levels);
  tide::yield_now();
  n.out(who, level);
  n.lock.unlock();
}

Task<void> nested_locking(Style style) {
  Nest n;
  Worker x = start(
      style, [&] { return nest_task(n, "x", 1, 3); }, [&] { nest_fibre(n, "x", 1, 3); });
  co_await turns_until([&] { return n.lock.depth() == 3; });
  Worker y = start(
      style, [&] { return nest_task(n, "y", 1, 1); }, [&] { nest_fibre(n, "y", 1, 1); });
  co_await x.join();
  co_await y.join();
  EXPECT_EQ(n.log, (std::vector<std::string>{"x in 1", "x in 2", "x in 3", "x out 3", "x out 2",
                                             "x out 1", "y in 1", "y out 1"}));
  EXPECT_FALSE(n.lock.locked());
  EXPECT_EQ(n.lock.depth(), 0u);
}
TIDE_TEST_BOTH_STYLES(RecursiveMutex, TheHolderLocksAgainAndOthersWaitUntilTheDepthIsZero,
                      nested_locking)

// ---- the seed: mutexA = mutexB = RLock(), taken in both orders by several workers ----------

struct Seed {
  RecursiveMutex lock;           // both "mutexA" and "mutexB"
  const void* holder = nullptr;  // the worker inside, by the test's own count
  int held = 0;
  int overlaps = 0;
  int rounds = 0;
  void enter(const void* who) {
    if (holder != nullptr && holder != who) ++overlaps;
    holder = who;
    ++held;
  }
  void leave() {  // before each unlock
    if (--held == 0) holder = nullptr;
  }
};

// fun1: A then B; fun2: B, a pause, then A; each undone in reverse.
Task<void> seed_task(Seed& s, int id) {
  for (int fun = 0; fun < 2; ++fun) {
    co_await s.lock.lock();
    s.enter(&id);
    if (fun == 1) co_await tide::yield_now();
    co_await s.lock.lock();
    s.enter(&id);
    ++s.rounds;
    s.leave();
    s.lock.unlock();
    s.leave();
    s.lock.unlock();
  }
}

void seed_fibre(Seed& s, int id) {
  for (int fun = 0; fun < 2; ++fun) {
    tide::await(s.lock.lock());
    s.enter(&id);
    if (fun == 1) tide::yield_now();
    tide::await(s.lock.lock());
    s.enter(&id);
    ++s.rounds;
    s.leave();
    s.lock.unlock();
    s.leave();
    s.lock.unlock();
  }
}

Task<void> one_lock_for_two_names(Style style) {
  Seed s;
  std::vector<Worker> workers;
  for (int i = 0; i < 10; ++i)
    workers.push_back(start(
        style, [&, i] { return seed_task(s, i); }, [&, i] { seed_fibre(s, i); }));
  for (auto& w : workers)
    co_await w.join();
  EXPECT_EQ(s.rounds, 20);
  EXPECT_EQ(s.overlaps, 0);
  EXPECT_FALSE(s.lock.locked());
}
TIDE_TEST_BOTH_STYLES(RecursiveMutex, TheSeedsTwoNamesForOneLockNeverDeadlock,
                      one_lock_for_two_names)

// ---- cancellation and lock_for ----------------------------------------------------------

struct Queue {
  RecursiveMutex lock;
  int arrived = 0;
  std::vector<std::string> got;
  std::optional<bool> timed;  // lock_for's answer
};

Task<void> wait_task(Queue& q, std::string who) {
  ++q.arrived;
  co_await q.lock.lock();
  q.got.push_back(who);
  q.lock.unlock();
}

void wait_fibre(Queue& q, const std::string& who) {
  ++q.arrived;
  tide::await(q.lock.lock());
  q.got.push_back(who);
  q.lock.unlock();
}

Task<void> hold_task(Queue& q, tide::Event& release) {
  co_await q.lock.lock();
  EXPECT_TRUE(co_await q.lock.lock_for(0ms));  // its own: at once, even with no time
  EXPECT_EQ(q.lock.depth(), 2u);
  co_await release.wait();
  q.lock.unlock();
  q.lock.unlock();
}

void hold_fibre(Queue& q, tide::Event& release) {
  tide::await(q.lock.lock());
  EXPECT_TRUE(tide::await(q.lock.lock_for(0ms)));
  EXPECT_EQ(q.lock.depth(), 2u);
  tide::await(release.wait());
  q.lock.unlock();
  q.lock.unlock();
}

Task<void> lock_for_task(Queue& q) {
  ++q.arrived;
  q.timed = co_await q.lock.lock_for(5ms);
  if (*q.timed) q.lock.unlock();
}

void lock_for_fibre(Queue& q) {
  ++q.arrived;
  q.timed = tide::await(q.lock.lock_for(5ms));
  if (*q.timed) q.lock.unlock();
}

Task<void> cancelled_and_timed_out_waiters(Style style) {
  Queue q;
  tide::Event release;
  Worker holder = start(
      style, [&] { return hold_task(q, release); }, [&] { hold_fibre(q, release); });
  co_await turns_until([&] { return q.lock.depth() == 2; });
  Worker cancelled = start(
      style, [&] { return wait_task(q, "cancelled"); }, [&] { wait_fibre(q, "cancelled"); });
  co_await turns_until([&] { return q.arrived == 1; });
  Worker hasty = start(
      style, [&] { return lock_for_task(q); }, [&] { lock_for_fibre(q); });
  co_await turns_until([&] { return q.arrived == 2; });
  Worker next = start(
      style, [&] { return wait_task(q, "next"); }, [&] { wait_fibre(q, "next"); });
  co_await turns_until([&] { return q.arrived == 3; });
  cancelled.cancel();
  EXPECT_THROW(co_await cancelled.join(), tide::Cancelled);
  co_await hasty.join();
  EXPECT_EQ(q.timed, false);
  release.set();
  co_await holder.join();
  co_await next.join();
  EXPECT_EQ(q.got, std::vector<std::string>{"next"});
  EXPECT_FALSE(q.lock.locked());
}
TIDE_TEST_BOTH_STYLES(RecursiveMutex, CancelledAndTimedOutWaitersLeaveItToTheNext,
                      cancelled_and_timed_out_waiters)

// ---- misuse -----------------------------------------------------------------------------

// The message of the UsageError `unlock_it()` throws ("" and a failure if it throws none).
template <class Unlock>
std::string usage_error_from(Unlock unlock_it) {
  try {
    unlock_it();
    ADD_FAILURE() << "no UsageError";
  } catch (const tide::UsageError& e) {
    return e.what();
  }
  return {};
}

TEST(RecursiveMutex, UnlockingItFromATaskThatDoesNotHoldItIsAUsageError) {
  tide::testing::run_clean([]() -> Task<void> {
    RecursiveMutex lock;
    co_await lock.lock();  // held by this task
    auto intruder = tide::spawn([](RecursiveMutex& l) -> Task<void> {
      const std::string what = usage_error_from([&] { l.unlock(); });
      EXPECT_NE(what.find("called from task #2"), std::string::npos) << what;
      EXPECT_NE(what.find("task #1 'main' holds it"), std::string::npos) << what;
      co_return;
    }(lock));
    co_await intruder;
    EXPECT_EQ(lock.depth(), 1u);
    // A task awaited by the holder runs for it: its unlock is the holder's own.
    co_await [](RecursiveMutex& l) -> Task<void> {
      l.unlock();
      co_return;
    }(lock);
    EXPECT_FALSE(lock.locked());
  });
}

TEST(RecursiveMutex, UnlockingItFreeOrFromAFibreThatDoesNotHoldItIsAUsageError) {
  tide::testing::run_clean([]() -> Task<void> {
    RecursiveMutex lock;
    EXPECT_THROW(lock.unlock(), tide::UsageError);
    co_await lock.lock();  // held by this task
    auto intruder = tide::spawn_fiber([&] {
      const std::string what = usage_error_from([&] { lock.unlock(); });
      EXPECT_NE(what.find("tide::RecursiveMutex::unlock()"), std::string::npos) << what;
      EXPECT_NE(what.find("holds it"), std::string::npos) << what;
    });
    co_await intruder;
    EXPECT_EQ(lock.depth(), 1u);
    lock.unlock();
    EXPECT_FALSE(lock.locked());
  });
}

// ---- handed to a waiter destroyed before it resumed ---------------------------------------

void waiter_destroyed_unresumed(Style style) {
  RecursiveMutex lock;  // outlives the loop
  int arrived = 0;
  {
    tide::Loop loop;
    tide::Event release;
    auto holder = loop.spawn([](RecursiveMutex& m, tide::Event& e) -> Task<void> {
      co_await m.lock();
      co_await e.wait();
      m.unlock();  // hands it to the first waiter
    }(lock, release));
    for (int i = 0; i < 2; ++i) {
      if (style == Style::task) {
        loop.spawn([](RecursiveMutex& m, int& n) -> Task<void> {
              ++n;
              co_await m.lock();
              ADD_FAILURE() << "resumed, though its loop was destroyed first";
            }(lock, arrived))
            .detach();
      } else {
        tide::spawn_fiber(loop, [&] {
          ++arrived;
          tide::await(lock.lock());
          ADD_FAILURE() << "resumed, though its loop was destroyed first";
        }).detach();
      }
    }
    for (int turn = 0; turn < 10 && arrived < 2; ++turn)
      loop.run_once(0ms);
    ASSERT_EQ(arrived, 2);
    release.set();
    loop.run_once(0ms);  // the holder runs and unlocks; the waiter it was handed to has not run
    ASSERT_TRUE(holder.done());
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked()) << "the lock went down with a waiter that never used it";
}

TEST(RecursiveMutex, ALockHandedToATaskDestroyedBeforeItResumedIsPassedOn) {
  waiter_destroyed_unresumed(Style::task);
}
TEST(RecursiveMutex, ALockHandedToAFibreDestroyedBeforeItResumedIsPassedOn) {
  waiter_destroyed_unresumed(Style::fibre);
}

TEST(RecursiveMutex, UsingItFromAnotherThreadIsAUsageError) {
  RecursiveMutex lock;
  EXPECT_THROW(lock.unlock(), tide::UsageError);  // binds it to this thread
  std::thread([&] {
    try {
      (void)lock.lock();
      ADD_FAILURE() << "no UsageError";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("tide::RecursiveMutex"), std::string::npos) << e.what();
    }
  }).join();
}

}  // namespace
