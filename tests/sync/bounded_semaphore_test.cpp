// tide::BoundedSemaphore: what it adds to Semaphore, the bound. (Its waiting, FIFO hand-off,
// cancellation and timeouts are Semaphore's, and semaphore_test.cpp runs every scenario on
// both classes.)
#include <tide/sync/bounded_semaphore.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tide/core/errors.hpp>

#include "sides.hpp"
#include "test_loop.hpp"

namespace {

using tide::BoundedSemaphore;
using tide::Task;
using tide::testing::Party;
using tide::testing::turns_until;

template <class Side>
class BoundedSemaphoreTest : public ::testing::Test {};
TYPED_TEST_SUITE(BoundedSemaphoreTest, tide::testing::BothSides, tide::testing::SideName);

// The seed: a worker that releases once more than it acquired gets an error, and the
// semaphore keeps its count.
template <class Side>
Task<void> released_too_often_throws() {
  BoundedSemaphore s(2);
  std::string message;
  Party worker = Side::start([&s] { return s.acquire(); },
                             [&] {
                               s.release();
                               try {
                                 s.release();  // one too many
                               } catch (const tide::UsageError& e) {
                                 message = e.what();
                                 throw;
                               }
                             });
  EXPECT_THROW(co_await worker.join(), tide::UsageError);
  EXPECT_NE(message.find("tide::BoundedSemaphore "), std::string::npos) << message;
  EXPECT_NE(message.find("bound of 2"), std::string::npos) << message;
  EXPECT_EQ(s.value(), 2u);
}

TYPED_TEST(BoundedSemaphoreTest, ReleasedMoreOftenThanAcquiredThrowsAUsageErrorNamingTheBound) {
  tide::testing::run_clean([] { return released_too_often_throws<TypeParam>(); });
}

// Permits handed to waiters are not free: releasing them is within the bound.
template <class Side>
Task<void> hand_offs_are_within_the_bound() {
  BoundedSemaphore s(2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  std::vector<int> got;
  Party a = Side::start([&s] { return s.acquire(); }, [&got] { got.push_back(0); });
  Party b = Side::start([&s] { return s.acquire(); }, [&got] { got.push_back(1); });
  co_await turns_until([&] { return s.n_waiting() == 2; });
  s.release(2);
  co_await a.join();
  co_await b.join();
  EXPECT_EQ(got, (std::vector<int>{0, 1}));
  EXPECT_EQ(s.value(), 0u);
  s.release(2);
  EXPECT_THROW(s.release(), tide::UsageError);
  EXPECT_EQ(s.value(), 2u);
}

TYPED_TEST(BoundedSemaphoreTest, PermitsHandedToWaitersCountAgainstTheBoundLikeHeldOnes) {
  tide::testing::run_clean([] { return hand_offs_are_within_the_bound<TypeParam>(); });
}

TEST(BoundedSemaphore, AReleaseOfSeveralThatWouldPassTheBoundReleasesNone) {
  BoundedSemaphore s(3);
  ASSERT_TRUE(s.try_acquire());
  ASSERT_TRUE(s.try_acquire());
  EXPECT_THROW(s.release(3), tide::UsageError);
  EXPECT_EQ(s.value(), 1u);
  s.release(2);
  EXPECT_EQ(s.value(), 3u);
  EXPECT_EQ(s.bound(), 3u);
}

TEST(BoundedSemaphore, OfZeroCannotBeReleasedAtAll) {
  BoundedSemaphore s(0);
  EXPECT_FALSE(s.try_acquire());
  EXPECT_THROW(s.release(), tide::UsageError);
  EXPECT_EQ(s.value(), 0u);
}

}  // namespace
