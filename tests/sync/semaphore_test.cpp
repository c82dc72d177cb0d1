// tide::Semaphore (and, through the same scenarios, tide::BoundedSemaphore): permits handed
// over FIFO, cancellation and timeouts that take nothing with them, from tasks and fibres.
#include <tide/sync/semaphore.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/timeout.hpp>
#include <tide/sync/bounded_semaphore.hpp>

#include "sides.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::SemaphoreGuard;
using tide::Task;
using tide::testing::Party;
using tide::testing::turns;
using tide::testing::turns_until;

template <class SideT, class SemT>
struct Case {
  using Side = SideT;
  using Sem = SemT;
};
using Cases = ::testing::Types<Case<tide::testing::TaskSide, tide::Semaphore>,
                               Case<tide::testing::FibreSide, tide::Semaphore>,
                               Case<tide::testing::TaskSide, tide::BoundedSemaphore>,
                               Case<tide::testing::FibreSide, tide::BoundedSemaphore>>;
struct CaseName {
  template <class C>
  static std::string GetName(int) {
    std::string name = std::is_same_v<typename C::Sem, tide::Semaphore> ? "" : "Bounded";
    return name + (std::is_same_v<typename C::Side, tide::testing::TaskSide> ? "Tasks" : "Fibres");
  }
};

template <class C>
class SemaphoreTest : public ::testing::Test {};
TYPED_TEST_SUITE(SemaphoreTest, Cases, CaseName);

// A semaphore of `size` permits, all of them taken (so a BoundedSemaphore may be released up
// to `size` times).
template <class Sem>
void take_all(Sem& s, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i)
    ASSERT_TRUE(s.try_acquire());
  ASSERT_EQ(s.value(), 0u);
}

// Starts party `i` waiting in `s` for a permit (noted in `got` once it has it), and lets the
// loop turn until it is parked there, so parties queue in the order they are started.
template <class Side, class Sem>
Task<Party> start_acquirer(Sem& s, std::vector<int>& got, int i) {
  const std::size_t before = s.n_waiting();
  Party p = Side::start([&s] { return s.acquire(); }, [&got, i] { got.push_back(i); });
  co_await turns_until([&] { return s.n_waiting() == before + 1; });
  co_return p;
}

// The seed: Semaphore(5) and 20 workers; each takes a permit, stays inside a few turns, and
// leaves. Never more than 5 inside at once, 5 inside at some point, and all 20 finish.
template <class Side, class Sem>
Task<void> limits_how_many_are_inside() {
  Sem s(5);
  int inside = 0;
  int most = 0;
  int finished = 0;
  std::vector<std::optional<SemaphoreGuard>> guards(20);
  std::vector<Party> workers;
  for (int i = 0; i < 20; ++i)
    workers.push_back(Side::start([&s] { return s.scoped_acquire(); },
                                  [&, i](SemaphoreGuard g) {
                                    guards[i] = std::move(g);
                                    most = std::max(most, ++inside);
                                    EXPECT_LE(inside, 5);
                                  },
                                  [i] { return turns(1 + i % 4); },
                                  [&, i] {
                                    --inside;
                                    guards[i].reset();  // gives the permit back
                                    ++finished;
                                  }));
  for (auto& w : workers)
    co_await w.join();
  EXPECT_EQ(most, 5);
  EXPECT_EQ(finished, 20);
  EXPECT_EQ(s.value(), 5u);
}

TYPED_TEST(SemaphoreTest, NeverLetsMoreThanItsPermitsInAndLetsEveryoneFinish) {
  tide::testing::run_clean([] {
    return limits_how_many_are_inside<typename TypeParam::Side, typename TypeParam::Sem>();
  });
}

template <class Side, class Sem>
Task<void> wakes_in_fifo_order() {
  Sem s(4);
  take_all(s, 4);
  std::vector<int> got;
  std::vector<Party> parties;
  for (int i = 0; i < 4; ++i)
    parties.push_back(co_await start_acquirer<Side>(s, got, i));
  s.release();
  // The permit is handed over, not left free: nobody arriving now can barge in.
  EXPECT_EQ(s.value(), 0u);
  EXPECT_FALSE(s.try_acquire());
  EXPECT_EQ(s.n_waiting(), 3u);
  co_await turns_until([&] { return got.size() == 1; });
  EXPECT_EQ(got, std::vector<int>{0});
  s.release(3);
  for (auto& p : parties)
    co_await p.join();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(s.value(), 0u);
}

TYPED_TEST(SemaphoreTest, HandsPermitsToWaitersInFifoOrderWithoutBarging) {
  tide::testing::run_clean(
      [] { return wakes_in_fifo_order<typename TypeParam::Side, typename TypeParam::Sem>(); });
}

// asyncio's race: four waiters, two cancelled, one release wakes exactly one.
template <class Side, class Sem>
Task<void> cancelled_waiters_take_no_permit() {
  Sem s(4);
  take_all(s, 4);
  std::vector<int> got;
  std::vector<Party> parties;
  for (int i = 0; i < 4; ++i)
    parties.push_back(co_await start_acquirer<Side>(s, got, i));
  parties[0].cancel();
  parties[2].cancel();
  EXPECT_EQ(s.n_waiting(), 2u);  // they leave at once
  s.release();
  co_await turns_until([&] { return got.size() == 1; });
  co_await turns(3);
  EXPECT_EQ(got, std::vector<int>{1});  // exactly one woken, and not a cancelled one
  EXPECT_EQ(s.value(), 0u);
  EXPECT_EQ(s.n_waiting(), 1u);
  s.release();
  co_await turns_until([&] { return got.size() == 2; });
  EXPECT_EQ(got, (std::vector<int>{1, 3}));
  EXPECT_THROW(co_await parties[0].join(), tide::Cancelled);
  EXPECT_THROW(co_await parties[2].join(), tide::Cancelled);
  co_await parties[1].join();
  co_await parties[3].join();
  s.release(2);
  EXPECT_EQ(s.value(), 2u);
}

TYPED_TEST(SemaphoreTest, CancelledWaitersLeaveAtOnceAndTheReleaseWakesExactlyOneOther) {
  tide::testing::run_clean([] {
    return cancelled_waiters_take_no_permit<typename TypeParam::Side, typename TypeParam::Sem>();
  });
}

template <class Side, class Sem>
Task<void> a_handed_permit_beats_a_later_cancel() {
  Sem s(2);
  take_all(s, 2);
  std::vector<int> got;
  Party first = co_await start_acquirer<Side>(s, got, 0);
  Party second = co_await start_acquirer<Side>(s, got, 1);
  s.release();
  first.cancel();  // after the hand-off, before it resumed
  co_await turns_until([&] { return first.done(); });
  EXPECT_EQ(got, std::vector<int>{0});  // it resumed holding the permit
  EXPECT_EQ(s.n_waiting(), 1u);         // which was not passed on as well
  EXPECT_EQ(s.value(), 0u);
  try {
    co_await first.join();
  } catch (const tide::Cancelled&) {
    // The cancellation may still surface when the party ends; the permit was taken either way.
  }
  s.release();
  co_await second.join();
  EXPECT_EQ(got, (std::vector<int>{0, 1}));
}

TYPED_TEST(SemaphoreTest, AWaiterHandedAPermitKeepsItWhenCancelledBeforeItResumes) {
  tide::testing::run_clean([] {
    return a_handed_permit_beats_a_later_cancel<typename TypeParam::Side,
                                                typename TypeParam::Sem>();
  });
}

template <class Side, class Sem>
Task<void> acquire_for_gives_up_with_nothing() {
  Sem s(2);
  take_all(s, 2);
  std::vector<bool> results;
  auto note = [&results](bool r) { results.push_back(r); };
  // Times out: leaves the queue with no permit.
  co_await Side::start([&s] { return s.acquire_for(1ms); }, note).join();
  EXPECT_EQ(results, std::vector<bool>{false});
  EXPECT_EQ(s.n_waiting(), 0u);
  // Woken in time: true, holding the permit.
  Party patient = Side::start([&s] { return s.acquire_for(1h); }, note);
  co_await turns_until([&] { return s.n_waiting() == 1; });
  s.release();
  co_await patient.join();
  EXPECT_EQ(results, (std::vector<bool>{false, true}));
  EXPECT_EQ(s.value(), 0u);
  // A zero timeout only tries.
  s.release();
  co_await Side::start([&s] { return s.acquire_for(0s); }, note).join();
  co_await Side::start([&s] { return s.acquire_for(0s); }, note).join();
  EXPECT_EQ(results, (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(s.value(), 0u);
  s.release(2);
}

TYPED_TEST(SemaphoreTest, AcquireForReturnsFalseAndTakesNothingWhenTheTimeRunsOut) {
  tide::testing::run_clean([] {
    return acquire_for_gives_up_with_nothing<typename TypeParam::Side, typename TypeParam::Sem>();
  });
}

template <class Side, class Sem>
Task<void> timeout_wrapper_takes_nothing() {
  Sem s(1);
  take_all(s, 1);
  bool acquired = false;
  Party late = Side::start([&s] { return tide::timeout(1ms, s.acquire()); },
                           [&acquired] { acquired = true; });
  EXPECT_THROW(co_await late.join(), tide::TimeoutError);
  EXPECT_FALSE(acquired);
  EXPECT_EQ(s.n_waiting(), 0u);
  s.release();
  EXPECT_EQ(s.value(), 1u);  // nobody took it with them
  take_all(s, 1);
  // Handed the permit in the tick its deadline passes: the permit wins, it is not lost.
  Party racing = Side::start([&s] { return tide::timeout(1ms, s.acquire()); },
                             [&acquired] { acquired = true; });
  co_await turns_until([&] { return s.n_waiting() == 1; });
  std::this_thread::sleep_for(3ms);  // holds the loop: the deadline is past at its next turn
  s.release();
  co_await racing.join();
  EXPECT_TRUE(acquired);
  EXPECT_EQ(s.value(), 0u);
  s.release();
}

TYPED_TEST(SemaphoreTest, ATimeoutAroundAcquireTakesNothingButKeepsAPermitHandedInTheSameTick) {
  tide::testing::run_clean([] {
    return timeout_wrapper_takes_nothing<typename TypeParam::Side, typename TypeParam::Sem>();
  });
}

// A permit handed to a waiter whose task or fibre is destroyed before it resumes (here: with
// its loop) goes on: to the next waiter, and back to the semaphore when that one goes too.
TYPED_TEST(SemaphoreTest, APermitHandedToAWaiterDestroyedBeforeItResumesIsPassedOn) {
  using Side = typename TypeParam::Side;
  typename TypeParam::Sem s(1);
  take_all(s, 1);
  {
    tide::Loop loop;
    loop.run_until_complete([](auto& sem) -> Task<void> {
      std::vector<int> got;
      Party first = co_await start_acquirer<Side>(sem, got, 0);
      Party second = co_await start_acquirer<Side>(sem, got, 1);
      first.detach();
      second.detach();
    }(s));
    s.release();  // handed to the first; the loop never runs again to resume it
    EXPECT_EQ(s.value(), 0u);
    EXPECT_EQ(s.n_waiting(), 1u);
  }
  EXPECT_EQ(s.n_waiting(), 0u);
  EXPECT_EQ(s.value(), 1u);
}

TYPED_TEST(SemaphoreTest, TryAcquireTakesOnlyFreePermits) {
  typename TypeParam::Sem s(2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  s.release(2);
  EXPECT_EQ(s.value(), 2u);
}

TYPED_TEST(SemaphoreTest, UseFromAnotherThreadIsAUsageErrorNamingTheClass) {
  typename TypeParam::Sem s(1);
  EXPECT_EQ(s.value(), 1u);  // binds it to this thread
  std::string message;
  std::thread([&] {
    try {
      (void)s.try_acquire();
    } catch (const tide::UsageError& e) {
      message = e.what();
    }
  }).join();
  const char* name = std::is_same_v<typename TypeParam::Sem, tide::Semaphore>
                         ? "tide::Semaphore "
                         : "tide::BoundedSemaphore ";
  EXPECT_NE(message.find(name), std::string::npos) << message;
}

// ---- A randomised schedule of acquires, timeouts and cancellations ----------------------

// The bookkeeping the workers share, and the invariants: nobody inside beyond the limit, no
// permit duplicated (free + held never above the limit) or stranded (free permits while
// someone waits), and at the end none lost (all free again).
template <class Sem>
struct Ledger {
  Ledger(std::size_t lim, long target_attempts, unsigned seed)
      : s(lim), limit(lim), target(target_attempts), random(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); }
  std::chrono::microseconds pick_limit() { return std::chrono::microseconds(50 * pick(4)); }
  void check() {
    EXPECT_LE(held, limit);
    EXPECT_LE(s.value() + held, limit) << "a permit was duplicated";
    EXPECT_TRUE(s.value() == 0 || s.n_waiting() == 0) << "free permits while tasks wait";
  }

  Sem s;
  std::size_t limit;
  long target;  // acquire attempts in all
  long attempts = 0;
  std::size_t held = 0;  // permits that workers hold (and have resumed with)
  long acquired = 0;
  long gave_up = 0;  // timeouts and failed try_acquire
  std::mt19937 random;
};

// One permit a worker holds: counted while it lives, given back when it goes (also when a
// cancellation unwinds the worker), by its guard or by release().
template <class Sem>
class Held {
 public:
  explicit Held(Ledger<Sem>& ledger, std::optional<SemaphoreGuard> guard = std::nullopt)
      : ledger_(ledger), guard_(std::move(guard)) {
    ++ledger_.held;
    ++ledger_.acquired;
    ledger_.check();
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    --ledger_.held;
    if (guard_)
      guard_.reset();
    else
      ledger_.s.release();
    ledger_.check();
  }

 private:
  Ledger<Sem>& ledger_;
  std::optional<SemaphoreGuard> guard_;
};

// The operations a worker picks from; the task and the fibre worker run the same schedule.
enum Op { acquire, acquire_for, timeout_acquire, scoped, try_acquire, timeout_scoped, n_ops };

template <class Sem>
Task<void> task_worker(Ledger<Sem>& l) {
  while (l.attempts < l.target) {
    ++l.attempts;
    const auto limit = l.pick_limit();
    std::optional<Held<Sem>> held;
    switch (l.pick(n_ops)) {
      case acquire:
        co_await l.s.acquire();
        held.emplace(l);
        break;
      case acquire_for: {
        const bool acquired = co_await l.s.acquire_for(limit);
        if (acquired) held.emplace(l);
        break;
      }
      case timeout_acquire:
        try {
          co_await tide::timeout(limit, l.s.acquire());
          held.emplace(l);
        } catch (const tide::TimeoutError&) {
        }
        break;
      case scoped:
        held.emplace(l, co_await l.s.scoped_acquire());
        break;
      case try_acquire:
        if (l.s.try_acquire()) held.emplace(l);
        break;
      case timeout_scoped:
        try {
          held.emplace(l, co_await tide::timeout(limit, l.s.scoped_acquire()));
        } catch (const tide::TimeoutError&) {
        }
        break;
    }
    if (!held) ++l.gave_up;
    for (int i = l.pick(4); i > 0; --i)
      co_await tide::yield_now();
  }
}

template <class Sem>
void fibre_worker(Ledger<Sem>& l) {
  while (l.attempts < l.target) {
    ++l.attempts;
    const auto limit = l.pick_limit();
    std::optional<Held<Sem>> held;
    switch (l.pick(n_ops)) {
      case acquire:
        tide::await(l.s.acquire());
        held.emplace(l);
        break;
      case acquire_for:
        if (tide::await(l.s.acquire_for(limit))) held.emplace(l);
        break;
      case timeout_acquire:
        try {
          tide::await(tide::timeout(limit, l.s.acquire()));
          held.emplace(l);
        } catch (const tide::TimeoutError&) {
        }
        break;
      case scoped:
        held.emplace(l, tide::await(l.s.scoped_acquire()));
        break;
      case try_acquire:
        if (l.s.try_acquire()) held.emplace(l);
        break;
      case timeout_scoped:
        try {
          held.emplace(l, tide::await(tide::timeout(limit, l.s.scoped_acquire())));
        } catch (const tide::TimeoutError&) {
        }
        break;
    }
    if (!held) ++l.gave_up;
    for (int i = l.pick(4); i > 0; --i)
      tide::yield_now();
  }
}

// Eight tasks and eight fibres share `limit` permits; the conductor cancels one at random
// about every fourth turn and starts a new worker in place of each that ends, until
// `attempts` acquires were tried.
template <class Sem>
Task<void> random_schedule(unsigned seed, long attempts, std::size_t limit) {
  Ledger<Sem> l(limit, attempts, seed);
  std::vector<Party> workers;
  auto start = [&l](std::size_t i) {
    return i % 2 == 0 ? Party(tide::spawn(task_worker(l)))
                      : Party(tide::spawn_fiber([&l] { fibre_worker(l); }));
  };
  for (std::size_t i = 0; i < 16; ++i)
    workers.push_back(start(i));
  long cancels = 0;
  while (!workers.empty()) {
    co_await tide::yield_now();
    l.check();
    if (l.pick(4) == 0) {
      workers[static_cast<std::size_t>(l.pick(static_cast<int>(workers.size())))].cancel();
      ++cancels;
    }
    for (std::size_t i = 0; i < workers.size();) {
      if (!workers[i].done()) {
        ++i;
        continue;
      }
      try {
        co_await workers[i].join();
      } catch (const tide::Cancelled&) {
        // Cancelled by the conductor: what it held was given back as it unwound.
      }
      if (l.attempts < l.target)
        workers[i] = start(i);
      else
        workers.erase(workers.begin() + static_cast<long>(i));
    }
  }
  EXPECT_EQ(l.held, 0u);
  EXPECT_EQ(l.s.value(), limit) << "permits were lost";
  EXPECT_EQ(l.s.n_waiting(), 0u);
  // The schedule exercised what it is meant to. (How many acquires succeed depends on how
  // fast the loop turns against the timeouts, a sanitizer build times out more: a third of
  // the operations never time out, so a tenth is a floor that holds anywhere.)
  EXPECT_GT(l.acquired, attempts / 10);
  EXPECT_GT(l.gave_up, 0);
  EXPECT_GT(cancels, 0);
}

TEST(Semaphore, KeepsEveryPermitThroughARandomScheduleOfCancelsAndTimeouts) {
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u})
    tide::testing::run_clean(
        [seed] { return random_schedule<tide::Semaphore>(seed, 1000, 1 + seed % 4); });
}

TEST(BoundedSemaphore, KeepsEveryPermitThroughARandomScheduleOfCancelsAndTimeouts) {
  for (unsigned seed : {6u, 7u, 8u, 9u, 10u})
    tide::testing::run_clean(
        [seed] { return random_schedule<tide::BoundedSemaphore>(seed, 1000, 1 + seed % 4); });
}

TEST(Semaphore, ReleaseThatWouldOverflowIsAUsageError) {
  tide::Semaphore s(std::numeric_limits<std::size_t>::max() - 1);
  s.release();
  EXPECT_THROW(s.release(), tide::UsageError);
  EXPECT_EQ(s.value(), std::numeric_limits<std::size_t>::max());
}

TEST(SemaphoreGuard, ReleasesOnceWhetherReleasedEarlyMovedOrDestroyed) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::Semaphore s(1);
    {
      SemaphoreGuard g = co_await s.scoped_acquire();
      EXPECT_TRUE(g.owns_permit());
      EXPECT_EQ(s.value(), 0u);
      SemaphoreGuard moved = std::move(g);
      EXPECT_FALSE(g.owns_permit());
      moved.release();
      EXPECT_EQ(s.value(), 1u);
      moved.release();  // holds nothing any more
      EXPECT_EQ(s.value(), 1u);
      g = co_await s.scoped_acquire();
      EXPECT_EQ(s.value(), 0u);
    }
    EXPECT_EQ(s.value(), 1u);
  });
}

}  // namespace
