// tide::Queue: FIFO order, hand-over, cancellation and timeouts, close, task_done/join, from
// tasks and from fibres (the shared checks are in queue_checks.hpp).
#include <tide/sync/queue.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "queue_checks.hpp"

namespace {

using tide::Task;
using tide::testing::queue_checks::settle;

template <class Style>
class Queue : public ::testing::Test {};
using Styles =
    ::testing::Types<tide::testing::queue_checks::Tasks, tide::testing::queue_checks::Fibres>;
TYPED_TEST_SUITE(Queue, Styles, tide::testing::queue_checks::StyleNames);

TIDE_QUEUE_SHARED_TESTS(Queue, tide::Queue)

TYPED_TEST(Queue, HandsOutItemsInTheOrderTheyWerePut) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::Queue<int> queue(5);
    for (int i : {111, 222, 333, 444, 555})  // the seed's queue.Queue(5)
      co_await queue.put(i);
    EXPECT_TRUE(queue.full());
    std::vector<int> got;
    for (int i = 0; i < 5; ++i) {
      auto getter = TypeParam::start([&] { return queue.get(); });
      got.push_back(co_await getter);
    }
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(got, (std::vector<int>{111, 222, 333, 444, 555}));
    auto late = TypeParam::start([&] { return queue.get_for(std::chrono::milliseconds(1)); });
    EXPECT_EQ(co_await late, std::nullopt);  // the seed's get(timeout=3) on an empty queue
  });
}

TYPED_TEST(Queue, AnItemHandedToAGetterThatDiesGoesBackToTheFront) {
  tide::testing::queue_checks::an_item_handed_to_a_getter_that_dies_goes_back<tide::Queue,
                                                                              TypeParam>(1, {2, 3},
                                                                                         {1, 2, 3});
}

// Runs `make_first()` as a party on a loop that is then destroyed, and `make_second()` and
// `make_third()` as parties on a loop that outlives it (one thread may own several loops).
// `between()` runs once the three wait, before the first loop goes; returns the survivors.
template <class S, class Make>
auto with_a_party_that_dies(Make make, auto between, tide::Loop& survivor) {
  using Handle = decltype(S::start(make));
  std::pair<std::optional<Handle>, std::optional<Handle>> rest;
  {
    tide::Loop doomed;
    doomed.run_until_complete([](Make m) -> Task<void> {
      S::start(m).detach();
      co_await settle();
    }(make));
    survivor.run_until_complete([](Make m, auto& out) -> Task<void> {
      out.first.emplace(S::start(m));
      out.second.emplace(S::start(m));
      co_await settle();
    }(make, rest));
    between();
  }  // the first party dies with its loop, woken but never resumed
  return rest;
}

// The item a dying getter gives back goes straight to the next getter waiting; the one after
// it goes on waiting.
TYPED_TEST(Queue, AnItemHandedToAGetterThatDiesGoesToTheNextWaitingGetter) {
  tide::Queue<int> queue;
  tide::Loop survivor;
  auto [second, third] = with_a_party_that_dies<TypeParam>(
      [&queue] { return queue.get(); }, [&] { EXPECT_TRUE(queue.try_put(1)); }, survivor);
  EXPECT_TRUE(queue.empty());  // already handed on
  survivor.run_until_complete([](auto& b, auto& c, tide::Queue<int>& q) -> Task<void> {
    EXPECT_EQ(co_await *b, 1);
    co_await settle();
    EXPECT_FALSE(c->done());  // not woken in passing
    EXPECT_TRUE(q.try_put(2));
    EXPECT_EQ(co_await *c, 2);
  }(second, third, queue));
}

// A putter whose item went in and that dies before it resumes leaves the item in, and the
// next putter waits for the next free place.
TYPED_TEST(Queue, APutterWhoseItemWentInAndThatDiesLeavesTheNextPutterWaiting) {
  tide::Queue<int> queue(1);
  EXPECT_TRUE(queue.try_put(0));
  tide::Loop survivor;
  int item = 1;
  auto [second, third] = with_a_party_that_dies<TypeParam>(
      [&queue, &item] { return queue.put(item++); }, [&] { EXPECT_EQ(queue.try_get(), 0); },
      survivor);  // lets the first putter's item in
  survivor.run_until_complete([](auto& b, auto& c, tide::Queue<int>& q) -> Task<void> {
    co_await settle();
    EXPECT_FALSE(b->done());  // not woken in passing
    EXPECT_EQ(q.try_get(), 1);
    co_await *b;
    EXPECT_EQ(q.try_get(), 2);
    co_await *c;
    EXPECT_EQ(q.try_get(), 3);
  }(second, third, queue));
}

TEST(Queue, MisuseIsAUsageErrorNamingTheQueue) {
  tide::testing::queue_checks::misuse_is_a_usage_error_naming_the_queue<tide::Queue>("tide::Queue");
}

}  // namespace
