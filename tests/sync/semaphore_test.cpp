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
using Cases = ::testing::Types<Case<tide::testing::Tasks, tide::Semaphore>,
                               Case<tide::testing::Fibres, tide::Semaphore>,
                               Case<tide::testing::Tasks, tide::BoundedSemaphore>,
                               Case<tide::testing::Fibres, tide::BoundedSemaphore>>;
struct CaseName {
  template <class C>
  static std::string GetName(int) {
    std::string name = std::is_same_v<typename C::Sem, tide::Semaphore> ? "" : "Bounded";
    return name + (std::is_same_v<typename C::Side, tide::testing::Tasks> ? "Tasks" : "Fibres");
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
