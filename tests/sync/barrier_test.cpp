// tide::Barrier: rounds of `parties` arrivals, indices in arrival order, withdrawals on
// cancellation and timeout, from tasks and fibres.
#include <tide/sync/barrier.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <stdexcept>
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
using tide::Barrier;
using tide::Task;
using tide::testing::Party;
using tide::testing::turns;
using tide::testing::turns_until;

template <class Side>
class BarrierTest : public ::testing::Test {};
TYPED_TEST_SUITE(BarrierTest, tide::testing::BothSides, tide::testing::SideName);

// Starts a party that arrives once and notes its index in `got`; waits until it has arrived
// (or has gone through, if it completed the round).
template <class Side>
Task<Party> arrive(Barrier& b, std::vector<std::size_t>& got) {
  const std::size_t before = b.n_waiting();
  Party p = Side::start([&b] { return b.wait(); }, [&got](std::size_t i) { got.push_back(i); });
  co_await turns_until([&] { return b.n_waiting() == before + 1 || p.done(); });
  co_return p;
}

// Three rounds of four parties: each round releases everyone together, with the indices
// 0..3 in arrival order, and the barrier is ready for the next round.
template <class Side>
Task<void> runs_rounds() {
  constexpr std::size_t n = 4;
  constexpr int rounds = 3;
  Barrier b(n);
  std::vector<std::vector<std::size_t>> index(n);  // per party, per round
  std::vector<int> passed(rounds);                 // how many are past each round
  std::vector<Party> parties;
  for (std::size_t p = 0; p < n; ++p) {
    auto step = [&b, &index, &passed, p](int round) {
      return std::pair([&b] { return b.wait(); },
                       [&index, &passed, p, round](std::size_t i) {
                         index[p].push_back(i);
                         ++passed[round];
                       });
    };
    auto [w0, n0] = step(0);
    auto [w1, n1] = step(1);
    auto [w2, n2] = step(2);
    // Stagger the parties so that arrival orders differ from round to round.
    parties.push_back(Side::start(
        w0, n0, [p] { return turns(static_cast<int>(p % 3)); }, tide::testing::ignore, w1, n1,
        [p] { return turns(static_cast<int>((n - p) % 3)); }, tide::testing::ignore, w2, n2));
  }
  for (auto& p : parties)
    co_await p.join();
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::size_t> seen;
    for (std::size_t p = 0; p < n; ++p)
      seen.push_back(index[p][r]);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2, 3})) << "round " << r;
    EXPECT_EQ(passed[r], 4);
  }
  EXPECT_EQ(b.n_waiting(), 0u);
}

TYPED_TEST(BarrierTest, ReleasesEachRoundTogetherWithEachIndexOnceAndIsReusable) {
  tide::testing::run_clean([] { return runs_rounds<TypeParam>(); });
}

template <class Side>
Task<void> holds_until_the_last_arrives() {
  Barrier b(3);
  std::vector<std::size_t> got;
  Party first = co_await arrive<Side>(b, got);
  Party second = co_await arrive<Side>(b, got);
  co_await turns(3);
  EXPECT_TRUE(got.empty());  // nobody goes on before the round is complete
  EXPECT_EQ(b.n_waiting(), 2u);
  Party last = co_await arrive<Side>(b, got);
  EXPECT_EQ(b.n_waiting(), 0u);  // the round is over at once
  for (Party* p : {&first, &second, &last})
    co_await p->join();
  // The last arrival goes through without waiting; the others follow in arrival order.
  EXPECT_EQ(got, (std::vector<std::size_t>{2, 0, 1}));
}

TYPED_TEST(BarrierTest, HoldsEveryoneUntilTheLastArrivalWhichGetsTheLastIndex) {
  tide::testing::run_clean([] { return holds_until_the_last_arrives<TypeParam>(); });
}

template <class Side>
Task<void> a_cancelled_party_withdraws() {
  Barrier b(3);
  std::vector<std::size_t> got;
  Party a = co_await arrive<Side>(b, got);
  Party c = co_await arrive<Side>(b, got);
  a.cancel();
  EXPECT_EQ(b.n_waiting(), 1u);  // its arrival is withdrawn at once
  EXPECT_THROW(co_await a.join(), tide::Cancelled);
  Party d = co_await arrive<Side>(b, got);
  co_await turns(3);
  EXPECT_TRUE(got.empty());  // two of three: the round is not complete
  EXPECT_EQ(b.n_waiting(), 2u);
  Party e = co_await arrive<Side>(b, got);
  for (Party* p : {&c, &d, &e})
    co_await p->join();
  EXPECT_EQ(got, (std::vector<std::size_t>{2, 0, 1}));
}

TYPED_TEST(BarrierTest, ACancelledPartyWithdrawsItsArrival) {
  tide::testing::run_clean([] { return a_cancelled_party_withdraws<TypeParam>(); });
}

template <class Side>
Task<void> a_timed_out_party_withdraws() {
  Barrier b(2);
  std::vector<std::optional<std::size_t>> got;
  auto note = [&got](std::optional<std::size_t> i) { got.push_back(i); };
  co_await Side::start([&b] { return b.wait_for(1ms); }, note).join();
  EXPECT_EQ(got, std::vector<std::optional<std::size_t>>{std::nullopt});
  EXPECT_EQ(b.n_waiting(), 0u);
  // Through tide::timeout too.
  EXPECT_THROW(
      co_await Side::start([&b] { return tide::timeout(1ms, b.wait()); }, tide::testing::ignore)
          .join(),
      tide::TimeoutError);
  EXPECT_EQ(b.n_waiting(), 0u);
  // A round completed in time: the index.
  Party patient = Side::start([&b] { return b.wait_for(1h); }, note);
  co_await turns_until([&] { return b.n_waiting() == 1; });
  EXPECT_EQ(co_await b.wait(), 1u);
  co_await patient.join();
  EXPECT_EQ(got.back(), std::optional<std::size_t>(0));
}

TYPED_TEST(BarrierTest, APartyThatTimesOutWithdrawsItsArrival) {
  tide::testing::run_clean([] { return a_timed_out_party_withdraws<TypeParam>(); });
}

// A party released by a round whose task or fibre is destroyed before it resumes (with its
// loop, here a second loop on the same thread) must not release a party of the next round.
TYPED_TEST(BarrierTest, APartyDestroyedAfterItsReleaseDoesNotReleaseTheNextRound) {
  using Side = TypeParam;
  Barrier b(2);
  std::vector<std::size_t> got;
  tide::Loop next_loop;
  {
    tide::Loop loop;
    loop.run_until_complete([](Barrier& bar, std::vector<std::size_t>& out) -> Task<void> {
      Party released = co_await arrive<Side>(bar, out);
      released.detach();
    }(b, got));
    // From the other loop: complete the round (the party is released, and never resumed),
    // then start a party of the next round.
    next_loop.run_until_complete([](Barrier& bar, std::vector<std::size_t>& out) -> Task<void> {
      EXPECT_EQ(co_await bar.wait(), 1u);
      Party p = co_await arrive<Side>(bar, out);
      p.detach();
    }(b, got));
    EXPECT_EQ(b.n_waiting(), 1u);
  }
  EXPECT_EQ(b.n_waiting(), 1u);  // still waiting for its round
  next_loop.run_until_complete([](Barrier& bar) -> Task<void> {
    co_await turns(3);
    EXPECT_EQ(bar.n_waiting(), 1u);
    EXPECT_EQ(co_await bar.wait(), 1u);
    co_await turns(3);
  }(b));
  EXPECT_EQ(got, std::vector<std::size_t>{0});
}

TEST(Barrier, OfOnePartyNeverWaits) {
  tide::testing::run_clean([]() -> Task<void> {
    Barrier b(1);
    EXPECT_EQ(co_await b.wait(), 0u);
    EXPECT_EQ(co_await b.wait(), 0u);
    EXPECT_EQ(b.parties(), 1u);
  });
}

TEST(Barrier, OfZeroPartiesIsAnInvalidArgument) {
  EXPECT_THROW(Barrier(0), std::invalid_argument);
}

TEST(Barrier, UseFromAnotherThreadIsAUsageErrorNamingTheClass) {
  Barrier b(2);
  EXPECT_EQ(b.n_waiting(), 0u);
  std::string message;
  std::thread([&] {
    try {
      (void)b.n_waiting();
    } catch (const tide::UsageError& e) {
      message = e.what();
    }
  }).join();
  EXPECT_NE(message.find("tide::Barrier "), std::string::npos) << message;
}

}  // namespace
