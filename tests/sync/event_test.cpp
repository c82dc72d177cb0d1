// tide::Event: wait, set, clear, is_set, wait_for; FIFO wake-ups; cancellation and timeouts;
// from tasks and fibres.
#include <tide/sync/event.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/timeout.hpp>

#include "sides.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Event;
using tide::Task;
using tide::testing::Party;
using tide::testing::turns;
using tide::testing::turns_until;

template <class Side>
class EventTest : public ::testing::Test {};
TYPED_TEST_SUITE(EventTest, tide::testing::BothSides, tide::testing::SideName);

// What the waiters of a scenario report: how many have arrived (they wait right after, in the
// same turn, so an arrived waiter is parked unless the flag is set) and who went on, in order.
struct Log {
  int arrived = 0;
  std::vector<int> passed;
};

// Starts waiter `i`: after `delay` turns it arrives and waits for `e`, then notes it passed.
template <class Side>
Party start_waiter(Event& e, Log& log, int i, int delay = 0) {
  return Side::start([delay] { return turns(delay); }, [&log] { ++log.arrived; },
                     [&e] { return e.wait(); }, [&log, i] { log.passed.push_back(i); });
}

// The seed: twenty cars wait at a light that cycles red and green; each car passes only
// while it is green, and all of them pass.
template <class Side>
Task<void> traffic_light() {
  Event green;
  int passed = 0;
  int waited = 0;  // cars that arrived at a red light
  std::vector<Party> cars;
  for (int i = 0; i < 20; ++i)
    cars.push_back(Side::start([i] { return turns(i % 7); },
                               [&] {
                                 if (!green.is_set()) ++waited;
                               },
                               [&green] { return green.wait(); },
                               [&] {
                                 EXPECT_TRUE(green.is_set()) << "a car passed at red";
                                 ++passed;
                               }));
  for (int cycle = 0; cycle < 20 && passed < 20; ++cycle) {
    green.clear();  // red
    co_await turns(3);
    green.set();  // the waiting cars are woken now, and run before the light changes again
    co_await turns(1);
  }
  for (auto& car : cars)
    co_await car.join();
  EXPECT_EQ(passed, 20);
  EXPECT_GT(waited, 0);
}

TYPED_TEST(EventTest, CarsWaitForTheGreenLightAndPassOnlyWhileItIsGreen) {
  tide::testing::run_clean([] { return traffic_light<TypeParam>(); });
}

template <class Side>
Task<void> set_wakes_in_fifo_order() {
  Event e;
  Log log;
  std::vector<Party> parties;
  for (int i = 0; i < 4; ++i) {
    parties.push_back(start_waiter<Side>(e, log, i));
    co_await turns_until([&] { return log.arrived == i + 1; });
  }
  co_await turns(3);
  EXPECT_TRUE(log.passed.empty());
  e.set();
  for (auto& p : parties)
    co_await p.join();
  EXPECT_EQ(log.passed, (std::vector<int>{0, 1, 2, 3}));
}

TYPED_TEST(EventTest, SetWakesEveryWaiterInTheOrderTheyStartedWaiting) {
  tide::testing::run_clean([] { return set_wakes_in_fifo_order<TypeParam>(); });
}

// asyncio's race: `set(); clear()` still wakes those that were waiting.
template <class Side>
Task<void> set_then_clear_still_wakes() {
  Event e;
  Log log;
  std::vector<Party> parties;
  for (int i = 0; i < 3; ++i)
    parties.push_back(start_waiter<Side>(e, log, i));
  co_await turns_until([&] { return log.arrived == 3; });
  e.set();
  e.clear();
  for (auto& p : parties)
    co_await p.join();
  EXPECT_EQ(log.passed, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(e.is_set());
  // One that comes after the clear waits for the next set.
  Party late = start_waiter<Side>(e, log, 3);
  co_await turns_until([&] { return log.arrived == 4; });
  co_await turns(3);
  EXPECT_EQ(log.passed.size(), 3u);
  e.set();
  co_await late.join();
  EXPECT_EQ(log.passed.size(), 4u);
}

TYPED_TEST(EventTest, SetThenClearAtOnceStillWakesThoseThatWereWaiting) {
  tide::testing::run_clean([] { return set_then_clear_still_wakes<TypeParam>(); });
}

template <class Side>
Task<void> set_flag_lets_waits_through() {
  Event e;
  EXPECT_FALSE(e.is_set());
  e.set();
  EXPECT_TRUE(e.is_set());
  Log log;
  co_await start_waiter<Side>(e, log, 0).join();  // does not wait
  co_await start_waiter<Side>(e, log, 1).join();
  EXPECT_EQ(log.passed, (std::vector<int>{0, 1}));
  e.clear();
  EXPECT_FALSE(e.is_set());
  Party blocked = start_waiter<Side>(e, log, 2);
  co_await turns_until([&] { return log.arrived == 3; });
  co_await turns(3);
  EXPECT_EQ(log.passed.size(), 2u);
  e.set();
  co_await blocked.join();
}

TYPED_TEST(EventTest, WaitsReturnAtOnceWhileTheFlagIsSetAndBlockOnceItIsCleared) {
  tide::testing::run_clean([] { return set_flag_lets_waits_through<TypeParam>(); });
}

template <class Side>
Task<void> wait_for_reports_whether_it_was_set() {
  Event e;
  std::vector<bool> results;
  auto note = [&results](bool r) { results.push_back(r); };
  co_await Side::start([&e] { return e.wait_for(1ms); }, note).join();
  co_await Side::start([&e] { return e.wait_for(0s); }, note).join();
  Party patient = Side::start([&e] { return e.wait_for(1h); }, note);
  co_await turns(3);
  e.set();
  co_await patient.join();
  co_await Side::start([&e] { return e.wait_for(0s); }, note).join();
  EXPECT_EQ(results, (std::vector<bool>{false, false, true, true}));
}

TYPED_TEST(EventTest, WaitForIsTrueWhenSetInTimeAndFalseWhenTheTimeRunsOut) {
  tide::testing::run_clean([] { return wait_for_reports_whether_it_was_set<TypeParam>(); });
}

template <class Side>
Task<void> cancelled_waiter_leaves() {
  Event e;
  Log log;
  Party a = start_waiter<Side>(e, log, 0);
  Party b = start_waiter<Side>(e, log, 1);
  co_await turns_until([&] { return log.arrived == 2; });
  a.cancel();
  EXPECT_THROW(co_await a.join(), tide::Cancelled);
  e.set();
  co_await b.join();
  EXPECT_EQ(log.passed, std::vector<int>{1});
}

TYPED_TEST(EventTest, ACancelledWaiterLeavesAndTheOthersAreStillWoken) {
  tide::testing::run_clean([] { return cancelled_waiter_leaves<TypeParam>(); });
}

template <class Side>
Task<void> timed_out_waiter_leaves() {
  Event e;
  Log log;
  Party b = start_waiter<Side>(e, log, 1);
  bool passed = false;
  Party a = Side::start([&e] { return tide::timeout(1ms, e.wait()); }, [&] { passed = true; });
  EXPECT_THROW(co_await a.join(), tide::TimeoutError);
  EXPECT_FALSE(passed);
  e.set();
  co_await b.join();
  EXPECT_EQ(log.passed, std::vector<int>{1});
}

TYPED_TEST(EventTest, AWaitThatTimesOutRaisesTimeoutErrorAndLeaves) {
  tide::testing::run_clean([] { return timed_out_waiter_leaves<TypeParam>(); });
}

// A cancellation that arrives after the wake-up comes at the next wait, even one that has no
// time to wait at all (`wait_for(0s)` on a cleared flag).
template <class Side>
Task<void> cancel_after_wake_comes_at_the_next_wait() {
  Event e;
  Log log;
  bool second_wait = false;
  Party p = Side::start([] { return turns(0); }, [&log] { ++log.arrived; },
                        [&e] { return e.wait(); }, [&log] { log.passed.push_back(0); },
                        [&e] { return e.wait_for(0s); }, [&](bool) { second_wait = true; });
  co_await turns_until([&] { return log.arrived == 1; });
  e.set();
  e.clear();
  p.cancel();  // after the wake-up: the first wait returns, the second raises it
  EXPECT_THROW(co_await p.join(), tide::Cancelled);
  EXPECT_EQ(log.passed, std::vector<int>{0});
  EXPECT_FALSE(second_wait);
}

TYPED_TEST(EventTest, ACancellationAfterTheWakeUpComesAtTheNextWaitEvenWithNoTimeToWait) {
  tide::testing::run_clean([] { return cancel_after_wake_comes_at_the_next_wait<TypeParam>(); });
}

// A waiter woken by `set` whose task or fibre is destroyed before it resumes (with its loop;
// here a second loop on the same thread holds the others) had its own wake-up: nothing is
// passed on, so a waiter that came after a `clear` keeps waiting.
TYPED_TEST(EventTest, AWokenWaiterDestroyedBeforeItResumesWakesNobodyElse) {
  using Side = TypeParam;
  Event e;
  Log log;
  tide::Loop second;
  {
    tide::Loop first;
    first.run_until_complete([](Event& ev, Log& lg) -> Task<void> {
      Party p = start_waiter<Side>(ev, lg, 0);
      co_await turns_until([&] { return lg.arrived == 1; });
      p.detach();
    }(e, log));
    e.set();  // wakes waiter 0, which never resumes
    e.clear();
    second.run_until_complete([](Event& ev, Log& lg) -> Task<void> {
      Party p = start_waiter<Side>(ev, lg, 1);
      co_await turns_until([&] { return lg.arrived == 2; });
      p.detach();
    }(e, log));
  }
  second.run_until_complete([](Event& ev, Log& lg) -> Task<void> {
    co_await turns(3);
    EXPECT_TRUE(lg.passed.empty()) << "woken although the flag is clear";
    ev.set();
    co_await turns_until([&] { return lg.passed.size() == 1; });
  }(e, log));
  EXPECT_EQ(log.passed, std::vector<int>{1});
}

TEST(Event, UseFromAnotherThreadIsAUsageErrorNamingTheClass) {
  Event e;
  e.set();
  std::string message;
  std::thread([&] {
    try {
      e.clear();
    } catch (const tide::UsageError& ex) {
      message = ex.what();
    }
  }).join();
  EXPECT_NE(message.find("tide::Event "), std::string::npos) << message;
  EXPECT_TRUE(e.is_set());
}

}  // namespace
