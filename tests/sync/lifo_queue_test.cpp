// tide::LifoQueue: last in, first out; otherwise the shared queue behaviours (queue_checks.hpp),
// from tasks and from fibres.
#include <tide/sync/lifo_queue.hpp>

#include <gtest/gtest.h>

#include <vector>

#include "queue_checks.hpp"

namespace {

using tide::Task;

template <class Style>
class LifoQueue : public ::testing::Test {};
using Styles =
    ::testing::Types<tide::testing::queue_checks::Tasks, tide::testing::queue_checks::Fibres>;
TYPED_TEST_SUITE(LifoQueue, Styles, tide::testing::queue_checks::StyleNames);

TIDE_QUEUE_SHARED_TESTS(LifoQueue, tide::LifoQueue)

TYPED_TEST(LifoQueue, HandsOutTheItemPutLastFirst) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::LifoQueue<int> stack;
    for (int i = 1; i <= 4; ++i) {
      auto putter = TypeParam::start([&stack, i] { return stack.put(i); });
      co_await putter;
    }
    std::vector<int> got;
    got.push_back(co_await stack.get());
    co_await stack.put(5);  // on top of what is left
    while (!stack.empty()) {
      auto getter = TypeParam::start([&] { return stack.get(); });
      got.push_back(co_await getter);
    }
    EXPECT_EQ(got, (std::vector<int>{4, 5, 3, 2, 1}));
  });
}

TYPED_TEST(LifoQueue, AnItemHandedToAGetterThatDiesGoesBackOnTop) {
  tide::testing::queue_checks::an_item_handed_to_a_getter_that_dies_goes_back<tide::LifoQueue,
                                                                              TypeParam>(1, {2, 3},
                                                                                         {1, 3, 2});
}

TEST(LifoQueue, MisuseIsAUsageErrorNamingTheQueue) {
  tide::testing::queue_checks::misuse_is_a_usage_error_naming_the_queue<tide::LifoQueue>(
      "tide::LifoQueue");
}

}  // namespace
