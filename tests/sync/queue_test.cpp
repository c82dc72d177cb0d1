// tide::Queue: FIFO order, hand-over, cancellation and timeouts, close, task_done/join, from
// tasks and from fibres (the shared checks are in queue_checks.hpp).
#include <tide/sync/queue.hpp>

#include <gtest/gtest.h>

#include <optional>
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

// The item a dying getter gives back goes straight to the next getter waiting (here on a
// second loop of the same thread, which outlives the first).
TYPED_TEST(Queue, AnItemHandedToAGetterThatDiesGoesToTheNextWaitingGetter) {
  tide::Queue<int> queue;
  auto get = [&queue] { return queue.get(); };
  using Handle = decltype(TypeParam::start(get));
  std::optional<Handle> second;
  tide::Loop survivor;
  {
    tide::Loop doomed;
    doomed.run_until_complete([](decltype(get) g) -> Task<void> {
      TypeParam::start(g).detach();
      co_await settle();
    }(get));
    survivor.run_until_complete([](decltype(get) g, std::optional<Handle>& out) -> Task<void> {
      out.emplace(TypeParam::start(g));
      co_await settle();
    }(get, second));
    EXPECT_TRUE(queue.try_put(1));  // handed to the first getter, which never resumes
  }
  EXPECT_TRUE(queue.empty());  // already handed on
  EXPECT_EQ(
      survivor.run_until_complete([](Handle& h) -> Task<int> { co_return co_await h; }(*second)),
      1);
}

TEST(Queue, MisuseIsAUsageErrorNamingTheQueue) {
  tide::testing::queue_checks::misuse_is_a_usage_error_naming_the_queue<tide::Queue>("tide::Queue");
}

}  // namespace
