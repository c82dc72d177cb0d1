// Loop::dump names what every task and fibre waits on, one test per kind of wait, where each
// was spawned, a task's await chain and a fibre's stack (issue 18).
#include <tide/tide.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "gate.hpp"
#include "inspect_support.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::testing::address;
using tide::testing::entry_of;
using tide::testing::in_order;
using tide::testing::turn_until;

using tide::testing::npos;

// Whether the dump's entry for `who` says it waits on something containing `what`.
bool waits_on(tide::Loop& loop, const std::string& who, const std::string& what) {
  const std::string entry = entry_of(loop.dump(), who);
  return entry.find(": waits ") != npos && entry.find(what) != npos;
}

using tide::testing::sleep_an_hour;

TEST(Dump, ASleepSaysUntilWhen) {
  tide::Loop loop;
  auto sleeper = loop.spawn(sleep_an_hour(), "sleeper");
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "task #1 'sleeper'", "sleep until"); }))
      << loop.dump();
  // An hour from now, less the moments the test took.
  EXPECT_NE(entry_of(loop.dump(), "task #1 'sleeper'").find("sleep until +59m"), npos)
      << loop.dump();
}

TEST(Dump, SaysWhereEachTaskAndFibreWasSpawned) {
  tide::Loop loop;
  const unsigned task_line = __LINE__ + 1;
  auto sleeper = loop.spawn(sleep_an_hour(), "sleeper");
  const unsigned fibre_line = __LINE__ + 1;
  auto fibre = tide::spawn_fiber(loop, [] { tide::sleep(1h); });
  const unsigned options_line = __LINE__ + 1;
  auto named = tide::spawn_fiber(loop, {.name = "named"}, [] { tide::sleep(1h); });
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "fibre #3 'named'", "sleep"); }));
  const std::string dump = loop.dump();
  for (unsigned line : {task_line, fibre_line, options_line})
    EXPECT_NE(dump.find(std::string("spawned at ") + __FILE__ + ":" + std::to_string(line)), npos)
        << "line " << line << " in\n"
        << dump;
  fibre.kill();
  named.kill();
  loop.run_once(0ms);
}

TEST(Dump, AReadSaysWhichFdAndBackend) {
  tide::Loop loop;
  auto [ours, theirs] = tide::net::socketpair();
  auto reader = loop.spawn(
      [](tide::net::UnixStream& stream) -> Task<void> {
        std::byte buffer[16];
        (void)co_await stream.read_some(buffer);
      }(ours),
      "reader");
  const std::string fd = "fd " + std::to_string(ours.native_handle());
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "task #1 'reader'", fd); }))
      << loop.dump();
  const std::string entry = entry_of(loop.dump(), "task #1 'reader'");
  EXPECT_NE(entry.find("recv from " + fd), npos) << entry;
  EXPECT_NE(entry.find("(" + std::string(loop.backend_name()) + ")"), npos) << entry;
  EXPECT_NE(entry.find("unix"), npos) << entry;
}

TEST(Dump, AMutexWaitNamesItsHolder) {
  tide::Loop loop;
  tide::Mutex mutex;
  auto writer = loop.spawn(
      [](tide::Mutex& m) -> Task<void> {
        auto guard = co_await m.scoped_lock();
        co_await tide::sleep_for(1h);
      }(mutex),
      "writer");
  auto reader = loop.spawn(
      [](tide::Mutex& m) -> Task<void> { auto guard = co_await m.scoped_lock(); }(mutex), "reader");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #2 'reader'",
                    "Mutex " + address(&mutex) + " held by task #1 'writer'");
  })) << loop.dump();
}

TEST(Dump, AMutexHandedOverNamesItsNewHolder) {
  tide::Loop loop;
  tide::Mutex mutex;
  auto hold_briefly = [](tide::Mutex& m) -> Task<void> {
    auto guard = co_await m.scoped_lock();
    co_await tide::sleep_for(1ms);
  };
  auto hold_long = [](tide::Mutex& m) -> Task<void> {
    auto guard = co_await m.scoped_lock();
    co_await tide::sleep_for(1h);
  };
  auto first = loop.spawn(hold_briefly(mutex), "first");
  auto second = loop.spawn(hold_long(mutex), "second");  // handed the mutex when first is done
  auto third = loop.spawn(hold_long(mutex), "third");
  ASSERT_TRUE(turn_until(loop, [&] {
    return first.done() && waits_on(loop, "task #3 'third'", "held by task #2 'second'");
  })) << loop.dump();
}

TEST(Dump, AQueueWaitSaysHowManyWaitAhead) {
  tide::Loop loop;
  tide::Queue<int> queue;
  std::vector<tide::JoinHandle<void>> getters;
  for (int i = 0; i < 4; ++i)
    getters.push_back(
        loop.spawn([](tide::Queue<int>& q) -> Task<void> { (void)co_await q.get(); }(queue),
                   "getter " + std::to_string(i)));
  const std::string queue_text = "Queue " + address(&queue) + " get";
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "task #4 'getter 3'", queue_text); }))
      << loop.dump();
  EXPECT_NE(entry_of(loop.dump(), "task #4 'getter 3'").find("(3 waiters ahead)"), npos)
      << loop.dump();
  EXPECT_EQ(entry_of(loop.dump(), "task #1 'getter 0'").find("ahead"), npos) << loop.dump();
}

TEST(Dump, AnEventWaitNamesTheEvent) {
  tide::Loop loop;
  tide::Event event;
  auto waiter = loop.spawn([](tide::Event& e) -> Task<void> { co_await e.wait(); }(event), "w");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #1 'w'", "Event " + address(&event));
  })) << loop.dump();
}

TEST(Dump, AJoinNamesTheFibreItWaitsFor) {
  tide::Loop loop;
  auto fibre = tide::spawn_fiber(loop, {.name = "slow"}, [] { tide::sleep(1h); });
  auto joiner =
      loop.spawn([](tide::Fiber<void>& f) -> Task<void> { co_await f.join(); }(fibre), "joiner");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #2 'joiner'", "join of fibre #1 'slow'");
  })) << loop.dump();
  fibre.kill();
  ASSERT_TRUE(turn_until(loop, [&] { return joiner.done(); }));
}

TEST(Dump, AToThreadCallSaysItIsRunning) {
  tide::Loop loop;
  tide::testing::Gate gate;
  auto caller = loop.spawn(
      [](tide::testing::Gate& g) -> Task<void> {
        co_await tide::to_thread([&g] { g.wait(); });
      }(gate),
      "caller");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #1 'caller'", "to_thread call running for");
  })) << loop.dump();
  gate.open();
  ASSERT_TRUE(turn_until(loop, [&] { return caller.done(); }));
}

TEST(Dump, ASelectorWaitNamesTheSelector) {
  tide::Loop loop;
  tide::Selector selector;
  auto waiter = loop.spawn(
      [](tide::Selector& s) -> Task<void> { (void)co_await s.select(); }(selector), "selecting");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #1 'selecting'", "Selector " + address(&selector) + " select");
  })) << loop.dump();
}

TEST(Dump, AProcessWaitNamesTheChild) {
  tide::Loop loop;
  auto child = tide::Process::spawn({"sleep", "60"});
  auto waiter =
      loop.spawn([](tide::Process& p) -> Task<void> { (void)co_await p.wait(); }(child), "parent");
  ASSERT_TRUE(turn_until(loop, [&] {
    return waits_on(loop, "task #1 'parent'", "child process " + std::to_string(child.pid()));
  })) << loop.dump();
  child.kill();
  ASSERT_TRUE(turn_until(loop, [&] { return waiter.done(); }));
}

// Three tasks awaiting each other: the chain is printed root first, by function name.
Task<void> innermost_sleeper() {
  co_await tide::sleep_for(1h);
}
Task<void> middle_awaiter() {
  co_await innermost_sleeper();
}
Task<void> outer_awaiter() {
  co_await middle_awaiter();
}

TEST(Dump, TheAwaitChainIsPrintedRootFirst) {
  tide::Loop loop;
  auto chain = loop.spawn(outer_awaiter(), "chain");
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "task #1 'chain'", "sleep"); }));
  const std::string dump = loop.dump();
  EXPECT_TRUE(in_order(dump, {"task #1 'chain'", "await chain:", "outer_awaiter()", "\n      -> ",
                              "middle_awaiter()", "\n      -> ", "innermost_sleeper()"}))
      << dump;
}

// Not inlined, and with external linkage, so that the symbol table names it.
[[gnu::noinline]] void fibre_waits_in_here() {
  tide::sleep(1h);
  asm volatile("");  // keeps the call above from becoming a tail call
}

TEST(Dump, ASuspendedFibreShowsItsStack) {
  tide::Loop loop;
  auto fibre = tide::spawn_fiber(loop, {.name = "deep"}, [] { fibre_waits_in_here(); });
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "fibre #1 'deep'", "sleep"); }));
  const std::string dump = loop.dump();
  EXPECT_TRUE(in_order(dump, {"fibre #1 'deep'", "stack:", "fibre_waits_in_here"})) << dump;
  // Showing the stack runs none of the fibre's code: it still waits, and can be killed.
  EXPECT_TRUE(waits_on(loop, "fibre #1 'deep'", "sleep until"));
  fibre.kill();
  ASSERT_TRUE(turn_until(loop, [&] { return fibre.done(); }));
}

TEST(Dump, AFibreThatDumpsSeesTheOtherFibresStacks) {
  tide::Loop loop;
  auto deep = tide::spawn_fiber(loop, {.name = "deep"}, [] { fibre_waits_in_here(); });
  ASSERT_TRUE(turn_until(loop, [&] { return waits_on(loop, "fibre #1 'deep'", "sleep"); }));
  std::string seen;
  auto looker = tide::spawn_fiber(loop, {.name = "looker"}, [&] { seen = loop.dump(); });
  ASSERT_TRUE(turn_until(loop, [&] { return looker.done(); }));
  EXPECT_TRUE(in_order(
      seen, {"fibre #1 'deep'", "stack:", "fibre_waits_in_here", "fibre #2 'looker': running"}))
      << seen;
  // The round trip went back to the looker's stack, and the deep fibre still waits.
  EXPECT_TRUE(waits_on(loop, "fibre #1 'deep'", "sleep until"));
  deep.kill();
  ASSERT_TRUE(turn_until(loop, [&] { return deep.done(); }));
}

TEST(Dump, SaysWhichTaskIsRunningAndWhichAreReady) {
  tide::Loop loop;
  std::string seen;
  auto ready = loop.spawn(sleep_an_hour(), "second");  // spawned: ready to run
  auto looker = loop.spawn(
      [](tide::Loop& l, std::string& out) -> Task<void> {
        out = l.dump();
        co_return;
      }(loop, seen),
      "looker");
  const std::string before = loop.dump();
  EXPECT_NE(entry_of(before, "task #1 'second'").find("ready to run"), npos) << before;
  ASSERT_TRUE(turn_until(loop, [&] { return looker.done(); }));
  EXPECT_NE(entry_of(seen, "task #2 'looker'").find("running"), npos) << seen;
  EXPECT_NE(seen.find("tide loop (" + std::string(loop.backend_name()) + "): 2 tasks"), npos)
      << seen;
}

}  // namespace
