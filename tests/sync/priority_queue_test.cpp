// tide::PriorityQueue: the smallest item first; otherwise the shared queue behaviours
// (queue_checks.hpp), from tasks and from fibres.
#include <tide/sync/priority_queue.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "queue_checks.hpp"

namespace {

using tide::Task;

template <class Style>
class PriorityQueue : public ::testing::Test {};
using Styles =
    ::testing::Types<tide::testing::queue_checks::Tasks, tide::testing::queue_checks::Fibres>;
TYPED_TEST_SUITE(PriorityQueue, Styles, tide::testing::queue_checks::StyleNames);

TIDE_QUEUE_SHARED_TESTS(PriorityQueue, tide::PriorityQueue)

TYPED_TEST(PriorityQueue, HandsOutTheSmallestItemFirst) {
  tide::testing::run_clean([]() -> Task<void> {
    // The seed: PriorityQueue(4) fed (100, '222'), (10, '111'), (0, '333'), (-5, '444').
    tide::PriorityQueue<std::pair<int, std::string>> queue(4);
    for (auto item :
         {std::pair<int, std::string>{100, "222"}, {10, "111"}, {0, "333"}, {-5, "444"}}) {
      auto putter = TypeParam::start([&queue, item] { return queue.put(item); });
      co_await putter;
    }
    EXPECT_TRUE(queue.full());
    auto late = TypeParam::start([&queue] { return queue.put({100, "222"}); });  // waits
    std::vector<std::pair<int, std::string>> got;
    auto first = TypeParam::start([&] { return queue.get(); });
    got.push_back(co_await first);
    co_await late;  // its item moved in when the first get made room
    while (!queue.empty())
      got.push_back(*queue.try_get());
    EXPECT_EQ(got, (std::vector<std::pair<int, std::string>>{
                       {-5, "444"}, {0, "333"}, {10, "111"}, {100, "222"}, {100, "222"}}));
  });
}

// Items that compare equal come out in no guaranteed order (a binary heap): here every item
// with the same key still comes out before any larger key, whatever the order among them.
TYPED_TEST(PriorityQueue, TiesLeaveBeforeLargerKeysInNoGuaranteedOrder) {
  tide::testing::run_clean([]() -> Task<void> {
    struct ByKey {
      bool operator()(const std::pair<int, int>& a, const std::pair<int, int>& b) const {
        return a.first < b.first;
      }
    };
    tide::PriorityQueue<std::pair<int, int>, ByKey> queue;
    for (int i = 0; i < 12; ++i)
      EXPECT_TRUE(queue.try_put(std::pair{i % 3, i}));
    std::vector<std::pair<int, int>> got;
    while (!queue.empty()) {
      auto getter = TypeParam::start([&] { return queue.get(); });
      got.push_back(co_await getter);
    }
    EXPECT_EQ(got.size(), 12u);
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end(), ByKey{}));
    std::vector<int> seconds;
    for (auto& item : got)
      seconds.push_back(item.second);
    std::sort(seconds.begin(), seconds.end());
    std::vector<int> expected(12);
    for (int i = 0; i < 12; ++i)
      expected[i] = i;
    EXPECT_EQ(seconds, expected);
  });
}

TYPED_TEST(PriorityQueue, ACustomCompareOrdersItsWay) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::PriorityQueue<int, std::greater<int>> largest_first;
    for (int i : {3, 9, 1, 7})
      EXPECT_TRUE(largest_first.try_put(i));
    std::vector<int> got;
    while (!largest_first.empty()) {
      auto getter = TypeParam::start([&] { return largest_first.get(); });
      got.push_back(co_await getter);
    }
    EXPECT_EQ(got, (std::vector<int>{9, 7, 3, 1}));
  });
}

TYPED_TEST(PriorityQueue, AnItemHandedToAGetterThatDiesGoesBackIntoTheHeap) {
  tide::testing::queue_checks::an_item_handed_to_a_getter_that_dies_goes_back<tide::PriorityQueue,
                                                                              TypeParam>(5, {9, 3},
                                                                                         {3, 5, 9});
}

TEST(PriorityQueue, MisuseIsAUsageErrorNamingTheQueue) {
  tide::testing::queue_checks::misuse_is_a_usage_error_naming_the_queue<tide::PriorityQueue>(
      "tide::PriorityQueue");
}

}  // namespace
