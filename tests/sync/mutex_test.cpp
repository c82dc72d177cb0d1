// tide::Mutex and tide::MutexGuard: every scenario from tasks and from fibres.
#include <tide/sync/mutex.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
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
#include <tide/sync/event.hpp>

#include "lock_workers.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Mutex;
using tide::Task;
using tide::testing::start;
using tide::testing::Style;
using tide::testing::turns_until;
using tide::testing::Worker;

// ---- The seeds' read-modify-write: tickets, then money ----------------------------------

// Tickets on sale; each buyer reads the count, yields (the seed sleeps there), then writes.
struct Sale {
  Mutex mutex;
  int tickets = 3;
  int sold = 0;
  int refused = 0;
  void settle(int seen) {
    if (seen > 0) {
      tickets = seen - 1;
      ++sold;
    } else {
      ++refused;
    }
  }
};

Task<void> buy_task(Sale& sale) {
  auto guard = co_await sale.mutex.scoped_lock();
  const int seen = sale.tickets;
  co_await tide::yield_now();
  sale.settle(seen);
}

void buy_fibre(Sale& sale) {
  auto guard = tide::await(sale.mutex.scoped_lock());
  const int seen = sale.tickets;
  tide::yield_now();
  sale.settle(seen);
}

// Ten buyers for three tickets, as `style` says for each buyer in turn.
Task<void> ticket_sale(std::vector<Style> styles) {
  Sale sale;
  std::vector<Worker> buyers;
  for (std::size_t i = 0; i < 10; ++i)
    buyers.push_back(start(
        styles[i % styles.size()], [&] { return buy_task(sale); }, [&] { buy_fibre(sale); }));
  for (auto& buyer : buyers)
    co_await buyer.join();
  EXPECT_EQ(sale.sold, 3);
  EXPECT_EQ(sale.refused, 7);
  EXPECT_EQ(sale.tickets, 0);
  EXPECT_FALSE(sale.mutex.locked());
}

Task<void> ticket_sale_in(Style style) {
  return ticket_sale({style});
}
TIDE_TEST_BOTH_STYLES(Mutex, TicketSaleNeverOversells, ticket_sale_in)

TEST(Mutex, TicketSaleNeverOversellsToTasksAndFibresTogether) {
  tide::testing::run_clean([] { return ticket_sale({Style::task, Style::fibre}); });
}

// The money seed: a hundred workers each take one off, yielding between read and write.
struct Account {
  Mutex mutex;
  int money = 100;
};

Task<void> withdraw_task(Account& account, bool locking) {
  if (locking) co_await account.mutex.lock();
  const int read = account.money;
  co_await tide::yield_now();
  account.money = read - 1;
  if (locking) account.mutex.unlock();
}

void withdraw_fibre(Account& account, bool locking) {
  if (locking) tide::await(account.mutex.lock());
  const int read = account.money;
  tide::yield_now();
  account.money = read - 1;
  if (locking) account.mutex.unlock();
}

Task<int> money_left(Style style, bool locking) {
  Account account;
  std::vector<Worker> workers;
  for (int i = 0; i < 100; ++i)
    workers.push_back(start(
        style, [&] { return withdraw_task(account, locking); },
        [&] { withdraw_fibre(account, locking); }));
  for (auto& worker : workers)
    co_await worker.join();
  EXPECT_FALSE(account.mutex.locked());
  co_return account.money;
}

Task<void> money_with_mutex(Style style) {
  EXPECT_EQ(co_await money_left(style, true), 0);
}
TIDE_TEST_BOTH_STYLES(Mutex, ReadModifyWriteLosesNoUpdate, money_with_mutex)

// The control: the yield between read and write does interleave the workers, so without the
// mutex updates are lost (otherwise the test above would prove nothing).
Task<void> money_without_mutex(Style style) {
  EXPECT_GT(co_await money_left(style, false), 0);
}
TIDE_TEST_BOTH_STYLES(Mutex, WithoutItTheReadModifyWriteLosesUpdates, money_without_mutex)

// ---- Two mutexes taken in opposite order -------------------------------------------------

struct Crossing {
  Mutex a;
  Mutex b;
  tide::Event a_held;
  tide::Event b_held;
  bool wrapped = false;  // the first side times out through tide::timeout, not lock_for
  int timeouts = 0;
  std::vector<std::string> log;
};

// Takes a, then b (giving up after 20 ms); once it gave up it lets go of a and starts over.
Task<void> a_then_b_task(Crossing& x) {
  co_await x.a.lock();
  x.a_held.set();
  co_await x.b_held.wait();
  bool got_b = false;
  if (x.wrapped) {
    try {
      co_await tide::timeout(20ms, x.b.lock());
      got_b = true;
    } catch (const tide::TimeoutError&) {
    }
  } else {
    got_b = co_await x.b.lock_for(20ms);
  }
  if (!got_b) {
    ++x.timeouts;
    EXPECT_TRUE(x.b.locked());  // still the other side's
    x.a.unlock();
    x.log.push_back("first backed off");
    co_await x.a.lock();
    co_await x.b.lock();
  }
  x.log.push_back("first has both");
  x.b.unlock();
  x.a.unlock();
}

void a_then_b_fibre(Crossing& x) {
  tide::await(x.a.lock());
  x.a_held.set();
  tide::await(x.b_held.wait());
  bool got_b = false;
  if (x.wrapped) {
    try {
      tide::await(tide::timeout(20ms, x.b.lock()));
      got_b = true;
    } catch (const tide::TimeoutError&) {
    }
  } else {
    got_b = tide::await(x.b.lock_for(20ms));
  }
  if (!got_b) {
    ++x.timeouts;
    EXPECT_TRUE(x.b.locked());
    x.a.unlock();
    x.log.push_back("first backed off");
    tide::await(x.a.lock());
    tide::await(x.b.lock());
  }
  x.log.push_back("first has both");
  x.b.unlock();
  x.a.unlock();
}

// Takes b, then a, with no limit: it gets a once the other side backs off.
Task<void> b_then_a_task(Crossing& x) {
  co_await x.b.lock();
  x.b_held.set();
  co_await x.a_held.wait();
  co_await x.a.lock();
  x.log.push_back("second has both");
  x.a.unlock();
  x.b.unlock();
}

void b_then_a_fibre(Crossing& x) {
  tide::await(x.b.lock());
  x.b_held.set();
  tide::await(x.a_held.wait());
  tide::await(x.a.lock());
  x.log.push_back("second has both");
  x.a.unlock();
  x.b.unlock();
}

Task<void> opposite_order(Style style, bool wrapped) {
  Crossing x;
  x.wrapped = wrapped;
  Worker first = start(
      style, [&] { return a_then_b_task(x); }, [&] { a_then_b_fibre(x); });
  Worker second = start(
      style, [&] { return b_then_a_task(x); }, [&] { b_then_a_fibre(x); });
  co_await first.join();
  co_await second.join();
  EXPECT_EQ(x.timeouts, 1);
  EXPECT_EQ(x.log,
            (std::vector<std::string>{"first backed off", "second has both", "first has both"}));
  EXPECT_FALSE(x.a.locked());
  EXPECT_FALSE(x.b.locked());
}

Task<void> deadlock_broken_by_lock_for(Style style) {
  return opposite_order(style, false);
}
Task<void> deadlock_broken_by_timeout(Style style) {
  return opposite_order(style, true);
}
TIDE_TEST_BOTH_STYLES(Mutex, LockForDetectsADeadlockAndBothSidesRecover,
                      deadlock_broken_by_lock_for)
TIDE_TEST_BOTH_STYLES(Mutex, TimeoutDetectsADeadlockAndBothSidesRecover, deadlock_broken_by_timeout)

// ---- asyncio's race: a waiter cancelled in the tick the lock is released -------------------

struct Race {
  Mutex mutex;
  int arrived = 0;
  int holders = 0;
  int most_holders = 0;
  std::vector<std::string> got;
};

// Counts a holder for as long as it lives (also when a cancellation unwinds it).
struct Holding {
  Holding(Race& race, const std::string& name) : race_(&race) {
    race.got.push_back(name);
    race.most_holders = std::max(race.most_holders, ++race.holders);
  }
  Holding(const Holding&) = delete;
  Holding& operator=(const Holding&) = delete;
  ~Holding() { --race_->holders; }
  Race* race_;
};

Task<void> contend_task(Race& race, std::string name) {
  ++race.arrived;
  auto guard = co_await race.mutex.scoped_lock();
  Holding holding(race, name);
  co_await tide::yield_now();
}

void contend_fibre(Race& race, const std::string& name) {
  ++race.arrived;
  auto guard = tide::await(race.mutex.scoped_lock());
  Holding holding(race, name);
  tide::yield_now();
}

Task<void> cancel_in_the_release_tick(Style style, bool cancel_first) {
  Race race;
  EXPECT_TRUE(race.mutex.try_lock());  // this task is A, the holder
  Worker b = start(
      style, [&] { return contend_task(race, "B"); }, [&] { contend_fibre(race, "B"); });
  co_await turns_until([&] { return race.arrived == 1; });
  Worker c = start(
      style, [&] { return contend_task(race, "C"); }, [&] { contend_fibre(race, "C"); });
  co_await turns_until([&] { return race.arrived == 2; });
  // B and C are parked; in one turn, A releases and B is cancelled.
  if (cancel_first) {
    b.cancel();
    race.mutex.unlock();
  } else {
    race.mutex.unlock();
    b.cancel();
  }
  EXPECT_THROW(co_await b.join(), tide::Cancelled);
  co_await c.join();
  // Cancelled first, B left the queue and never held the lock. Released first, the lock
  // was B's before the cancellation came: B holds it, and its next suspension (the yield)
  // raises Cancelled, which releases it. Either way C gets it, and never both at once.
  const auto expected =
      cancel_first ? std::vector<std::string>{"C"} : std::vector<std::string>{"B", "C"};
  EXPECT_EQ(race.got, expected);
  EXPECT_EQ(race.most_holders, 1);
  EXPECT_FALSE(race.mutex.locked());
}

Task<void> cancelled_before_the_release(Style style) {
  return cancel_in_the_release_tick(style, true);
}
Task<void> cancelled_after_the_release(Style style) {
  return cancel_in_the_release_tick(style, false);
}
TIDE_TEST_BOTH_STYLES(Mutex, AWaiterCancelledJustBeforeTheReleaseLeavesTheLockToTheNext,
                      cancelled_before_the_release)
TIDE_TEST_BOTH_STYLES(Mutex, AWaiterCancelledJustAfterTheReleaseKeepsTheLockUntilItsNextSuspension,
                      cancelled_after_the_release)

// ---- FIFO hand-off ----------------------------------------------------------------------

struct Line {
  Mutex mutex;
  int arrived = 0;
  std::vector<std::string> order;
};

Task<void> take_turn_task(Line& line, std::string name) {
  ++line.arrived;
  co_await line.mutex.lock();
  line.order.push_back(name);
  co_await tide::yield_now();
  line.mutex.unlock();
}

void take_turn_fibre(Line& line, const std::string& name) {
  ++line.arrived;
  tide::await(line.mutex.lock());
  line.order.push_back(name);
  tide::yield_now();
  line.mutex.unlock();
}

Task<void> fifo_hand_off(Style style) {
  Line line;
  EXPECT_TRUE(line.mutex.try_lock());
  std::vector<Worker> workers;
  for (const char* name : {"a", "b", "c"}) {
    const std::string n = name;
    workers.push_back(start(
        style, [&] { return take_turn_task(line, n); }, [&, n] { take_turn_fibre(line, n); }));
    const int expected = static_cast<int>(workers.size());
    co_await turns_until([&] { return line.arrived == expected; });
  }
  line.mutex.unlock();
  // Handed to "a", which has not run yet: nobody can barge in meanwhile.
  EXPECT_TRUE(line.mutex.locked());
  EXPECT_FALSE(line.mutex.try_lock());
  for (auto& worker : workers)
    co_await worker.join();
  EXPECT_EQ(line.order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(line.mutex.locked());
}
TIDE_TEST_BOTH_STYLES(Mutex, HandsTheLockToWaitersInFifoOrderWithoutBarging, fifo_hand_off)

// ---- lock_for ---------------------------------------------------------------------------

struct Timed {
  Mutex mutex;
  int arrived = 0;
  std::optional<bool> hasty;    // lock_for(5 ms): must time out
  std::optional<bool> patient;  // lock_for(1 h): must get it
  std::vector<std::string> order;
};

Task<void> lock_for_task(Timed& t, std::chrono::milliseconds limit, std::optional<bool>& out) {
  ++t.arrived;
  out = co_await t.mutex.lock_for(limit);
  if (*out) {
    t.order.push_back("lock_for");
    t.mutex.unlock();
  }
}

void lock_for_fibre(Timed& t, std::chrono::milliseconds limit, std::optional<bool>& out) {
  ++t.arrived;
  out = tide::await(t.mutex.lock_for(limit));
  if (*out) {
    t.order.push_back("lock_for");
    t.mutex.unlock();
  }
}

Task<void> lock_task(Timed& t) {
  ++t.arrived;
  co_await t.mutex.lock();
  t.order.push_back("lock");
  t.mutex.unlock();
}

void lock_fibre(Timed& t) {
  ++t.arrived;
  tide::await(t.mutex.lock());
  t.order.push_back("lock");
  t.mutex.unlock();
}

Task<void> lock_for_times_out(Style style) {
  Timed t;
  EXPECT_TRUE(t.mutex.try_lock());
  EXPECT_FALSE(co_await t.mutex.lock_for(0ms));  // held: a zero limit only tries
  Worker hasty = start(
      style, [&] { return lock_for_task(t, 5ms, t.hasty); },
      [&] { lock_for_fibre(t, 5ms, t.hasty); });
  co_await turns_until([&] { return t.arrived == 1; });
  Worker next = start(
      style, [&] { return lock_task(t); }, [&] { lock_fibre(t); });
  co_await turns_until([&] { return t.arrived == 2; });
  Worker patient = start(
      style, [&] { return lock_for_task(t, 1h, t.patient); },
      [&] { lock_for_fibre(t, 1h, t.patient); });
  co_await turns_until([&] { return t.arrived == 3; });
  co_await hasty.join();  // waits out its 5 ms
  EXPECT_EQ(t.hasty, false);
  EXPECT_TRUE(t.mutex.locked());  // still this task's
  t.mutex.unlock();               // goes to the next in line, not to the one that gave up
  co_await next.join();
  co_await patient.join();
  EXPECT_EQ(t.patient, true);
  EXPECT_EQ(t.order, (std::vector<std::string>{"lock", "lock_for"}));
  EXPECT_FALSE(t.mutex.locked());
  EXPECT_TRUE(co_await t.mutex.lock_for(0ms));  // free: taken at once
  t.mutex.unlock();
}
TIDE_TEST_BOTH_STYLES(Mutex, LockForTimingOutLeavesTheLockToTheNextWaiter, lock_for_times_out)

// ---- tide::timeout: a lock handed over in the deadline's tick is kept ---------------------

// Long enough that a slow turn (sanitizers, a loaded machine) cannot pass it by accident.
constexpr auto kDeadline = 50ms;

struct Deadline {
  Mutex mutex;
  tide::Loop::Clock::time_point started{};
  bool arrived = false;
  bool got = false;
  bool timed_out = false;
};

Task<void> lock_within_task(Deadline& d) {
  d.started = tide::Loop::current().now();  // the deadline is kDeadline after this
  d.arrived = true;
  try {
    co_await tide::timeout(kDeadline, d.mutex.lock());
    d.got = true;
  } catch (const tide::TimeoutError&) {
    d.timed_out = true;
  }
}

void lock_within_fibre(Deadline& d) {
  d.started = tide::Loop::current().now();
  d.arrived = true;
  try {
    tide::await(tide::timeout(kDeadline, d.mutex.lock()));
    d.got = true;
  } catch (const tide::TimeoutError&) {
    d.timed_out = true;
  }
}

Task<void> handed_in_the_deadline_tick(Style style) {
  Deadline d;
  EXPECT_TRUE(d.mutex.try_lock());
  Worker w = start(
      style, [&] { return lock_within_task(d); }, [&] { lock_within_fibre(d); });
  co_await turns_until([&] { return d.arrived; });
  co_await tide::testing::settle();  // its timeout's child task is parked in the queue
  EXPECT_LT(tide::Loop::Clock::now(), d.started + kDeadline)
      << "the loop came too late: the deadline passed before the lock could be handed over";
  while (tide::Loop::Clock::now() <= d.started + kDeadline) {
    // busy: the deadline is due before the loop gets control back
  }
  d.mutex.unlock();  // handed to the child; the deadline fires at the next timer phase
  co_await w.join();
  EXPECT_TRUE(d.got) << "the lock was handed over, yet the timeout won";
  EXPECT_FALSE(d.timed_out);
  EXPECT_TRUE(d.mutex.locked());  // the worker holds it: not lost
  d.mutex.unlock();
}
TIDE_TEST_BOTH_STYLES(Mutex, ALockHandedOverInTheDeadlineTickWinsOverTheTimeout,
                      handed_in_the_deadline_tick)

// ---- MutexGuard ---------------------------------------------------------------------------

Task<void> throw_holding_task(Mutex& mutex) {
  auto guard = co_await mutex.scoped_lock();
  EXPECT_TRUE(guard.owns_lock());
  EXPECT_TRUE(mutex.locked());
  co_await tide::yield_now();
  throw std::runtime_error("failed while holding the lock");
}

void throw_holding_fibre(Mutex& mutex) {
  auto guard = tide::await(mutex.scoped_lock());
  EXPECT_TRUE(guard.owns_lock());
  EXPECT_TRUE(mutex.locked());
  tide::yield_now();
  throw std::runtime_error("failed while holding the lock");
}

Task<void> guard_unlocks_on_exception(Style style) {
  Mutex mutex;
  Worker w = start(
      style, [&] { return throw_holding_task(mutex); }, [&] { throw_holding_fibre(mutex); });
  EXPECT_THROW(co_await w.join(), std::runtime_error);
  EXPECT_FALSE(mutex.locked());
}
TIDE_TEST_BOTH_STYLES(MutexGuard, UnlocksWhenAnExceptionLeavesItsScope, guard_unlocks_on_exception)

TEST(MutexGuard, UnlocksOnceAndMovesOwnership) {
  tide::testing::run_clean([]() -> Task<void> {
    Mutex mutex;
    auto guard = co_await mutex.scoped_lock();
    tide::MutexGuard moved = std::move(guard);
    EXPECT_FALSE(guard.owns_lock());  // NOLINT(bugprone-use-after-move): checking the move
    EXPECT_TRUE(moved.owns_lock());
    EXPECT_EQ(moved.mutex(), &mutex);
    moved.unlock();
    EXPECT_FALSE(mutex.locked());
    EXPECT_FALSE(moved.owns_lock());
    EXPECT_THROW(moved.unlock(), tide::UsageError);
    {
      tide::MutexGuard adopted(mutex, std::adopt_lock);
      EXPECT_TRUE(mutex.try_lock());  // nothing held yet: adopt only claims
    }
    EXPECT_FALSE(mutex.locked());
  });
}

TEST(Mutex, UnlockingAnUnlockedMutexIsAUsageErrorNamingIt) {
  tide::testing::run_clean([]() -> Task<void> {
    Mutex mutex;
    try {
      mutex.unlock();
      ADD_FAILURE() << "no UsageError";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("tide::Mutex::unlock()"), std::string::npos);
    }
    EXPECT_TRUE(mutex.try_lock());
    EXPECT_FALSE(mutex.try_lock());
    mutex.unlock();
    co_return;
  });
}

// ---- a lock handed to a waiter destroyed before it resumed ---------------------------------

void waiter_destroyed_unresumed(Style style) {
  Mutex mutex;  // outlives the loop
  ASSERT_TRUE(mutex.try_lock());
  int arrived = 0;
  {
    tide::Loop loop;
    for (int i = 0; i < 2; ++i) {
      if (style == Style::task) {
        loop.spawn([](Mutex& m, int& n) -> Task<void> {
              ++n;
              co_await m.lock();
              ADD_FAILURE() << "resumed, though its loop was destroyed first";
            }(mutex, arrived))
            .detach();
      } else {
        tide::spawn_fiber(loop, [&] {
          ++arrived;
          tide::await(mutex.lock());
          ADD_FAILURE() << "resumed, though its loop was destroyed first";
        }).detach();
      }
    }
    for (int turn = 0; turn < 10 && arrived < 2; ++turn)
      loop.run_once(0ms);
    ASSERT_EQ(arrived, 2);
    mutex.unlock();  // handed to the first; the loop is destroyed before it runs
    EXPECT_TRUE(mutex.locked());
  }
  EXPECT_FALSE(mutex.locked()) << "the lock went down with a waiter that never used it";
}

TEST(Mutex, ALockHandedToATaskDestroyedBeforeItResumedIsPassedOn) {
  waiter_destroyed_unresumed(Style::task);
}
TEST(Mutex, ALockHandedToAFibreDestroyedBeforeItResumedIsPassedOn) {
  waiter_destroyed_unresumed(Style::fibre);
}

TEST(Mutex, UsingItFromAnotherThreadIsAUsageError) {
  Mutex mutex;
  ASSERT_TRUE(mutex.try_lock());  // binds it to this thread
  std::thread([&] {
    EXPECT_THROW(mutex.unlock(), tide::UsageError);
    EXPECT_THROW((void)mutex.try_lock(), tide::UsageError);
    EXPECT_THROW((void)mutex.lock(), tide::UsageError);
  }).join();
  mutex.unlock();
}

}  // namespace
