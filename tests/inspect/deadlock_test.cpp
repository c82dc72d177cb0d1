// Wait-for cycles: Loop::dump names them, and so does the error of a run that can never finish
// (issue 18).
#include <tide/tide.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "inspect_support.hpp"

namespace {

using tide::Task;
using tide::testing::address;
using tide::testing::turn_until;

using tide::testing::npos;

// Takes `first`, waits until the other side holds its first mutex too, then takes `second`.
Task<void> lock_both(tide::Mutex& first, tide::Mutex& second, int& holding, tide::Event& both) {
  auto outer = co_await first.scoped_lock();
  if (++holding == 2) both.set();
  co_await both.wait();
  auto inner = co_await second.scoped_lock();
}

TEST(Deadlock, DumpNamesATwoMutexCycle) {
  tide::Loop loop;
  tide::Mutex a, b;
  tide::Event both;
  int holding = 0;
  auto writer = loop.spawn(lock_both(a, b, holding, both), "writer");
  auto reader = loop.spawn(lock_both(b, a, holding, both), "reader");
  const std::string cycle = "deadlock: task #1 'writer' -> Mutex " + address(&b) +
                            " held by task #2 'reader' -> Mutex " + address(&a) +
                            " held by task #1 'writer'";
  ASSERT_TRUE(turn_until(loop, [&] { return loop.dump().find(cycle) != npos; })) << loop.dump();
  // Once: found from either task, the same cycle is reported once.
  const std::string dump = loop.dump();
  EXPECT_EQ(dump.find("deadlock:"), dump.rfind("deadlock:")) << dump;
}

TEST(Deadlock, NoCycleNoDeadlockLine) {
  tide::Loop loop;
  tide::Mutex a;
  auto holder = loop.spawn(
      [](tide::Mutex& m) -> Task<void> {
        auto guard = co_await m.scoped_lock();
        co_await tide::sleep_for(std::chrono::hours(1));
      }(a),
      "holder");
  auto waiter = loop.spawn(
      [](tide::Mutex& m) -> Task<void> { auto guard = co_await m.scoped_lock(); }(a), "waiter");
  ASSERT_TRUE(turn_until(loop, [&] { return loop.dump().find("held by task #1") != npos; }));
  EXPECT_EQ(loop.dump().find("\ndeadlock:"), npos) << loop.dump();
}

TEST(Deadlock, ACycleThroughAFibreIsNamedToo) {
  tide::Loop loop;
  tide::Mutex a, b;
  tide::Event both;
  int holding = 0;
  auto fibre = tide::spawn_fiber(loop, {.name = "fibre side"}, [&] {
    auto outer = tide::await(a.scoped_lock());
    if (++holding == 2) both.set();
    tide::await(both.wait());
    auto inner = tide::await(b.scoped_lock());
  });
  auto task = loop.spawn(lock_both(b, a, holding, both), "task side");
  const std::string cycle = "deadlock: fibre #1 'fibre side' -> Mutex " + address(&b) +
                            " held by task #2 'task side' -> Mutex " + address(&a) +
                            " held by fibre #1 'fibre side'";
  ASSERT_TRUE(turn_until(loop, [&] { return loop.dump().find(cycle) != npos; })) << loop.dump();
  fibre.kill();
  task.cancel();
  ASSERT_TRUE(turn_until(loop, [&] { return fibre.done() && task.done(); }));
}

// A Condition waiter notified by a task that then holds the mutex while it joins the waiter:
// the waiter's re-acquire (a wait nothing can cancel) is named, and closes the cycle.
TEST(Deadlock, AConditionWaiterReacquiringItsMutexIsNamedAndInTheCycle) {
  tide::Mutex mutex;
  tide::Condition ready(mutex);
  tide::Loop loop;  // destroyed first: it ends the deadlock (see below)
  auto consumer = loop.spawn(
      [](tide::Mutex& m, tide::Condition& c) -> Task<void> {
        co_await m.lock();
        co_await c.wait();  // gives the mutex up, and wants it back once notified
        m.unlock();
      }(mutex, ready),
      "consumer");
  ASSERT_TRUE(turn_until(loop, [&] { return loop.dump().find("'consumer': waits") != npos; }));
  auto producer = loop.spawn(
      [](tide::Mutex& m, tide::Condition& c, tide::JoinHandle<void>& other) -> Task<void> {
        auto guard = co_await m.scoped_lock();
        c.notify();
        co_await other;  // still holding the mutex the consumer needs
      }(mutex, ready, consumer),
      "producer");
  const std::string reacquire = "task #1 'consumer': waits";
  const std::string held = "Mutex " + address(&mutex) + " held by task #2 'producer'";
  const std::string cycle = "deadlock: task #1 'consumer' -> " + held +
                            " (not cancellable) -> join of task #1 'consumer'";
  ASSERT_TRUE(turn_until(loop, [&] { return loop.dump().find(cycle) != npos; })) << loop.dump();
  const std::string entry = tide::testing::entry_of(loop.dump(), "task #1 'consumer'");
  EXPECT_NE(entry.find(reacquire), npos) << entry;
  EXPECT_NE(entry.find(held + " (not cancellable)"), npos) << entry;
  // A true deadlock: cancelling the producer cancels the task it joins, whose re-acquire
  // cannot be interrupted, so the join never ends. Destroying the loop ends both.
}

TEST(Deadlock, TheCanNeverFinishErrorNamesTheCycle) {
  tide::Mutex a, b;
  tide::Event both;
  int holding = 0;
  auto main_task = [&]() -> Task<void> {
    auto writer = tide::spawn(lock_both(a, b, holding, both), "writer");
    auto reader = tide::spawn(lock_both(b, a, holding, both), "reader");
    co_await writer;
    co_await reader;
  };
  tide::Loop loop;
  try {
    loop.run_until_complete(main_task());
    FAIL() << "a deadlocked run finished";
  } catch (const tide::UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("can never happen"), npos) << what;
    EXPECT_NE(what.find("deadlock: task #2 'writer' -> Mutex " + address(&b) +
                        " held by task #3 'reader' -> Mutex " + address(&a) +
                        " held by task #2 'writer'"),
              npos)
        << what;
  }
}

}  // namespace
