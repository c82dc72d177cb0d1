// Checks shared by the Queue, LifoQueue and PriorityQueue tests: each one runs with the queue
// type as a parameter, and once with tasks and once with fibres as the parties that wait.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>

#include "styles.hpp"
#include "test_loop.hpp"

namespace tide::testing::queue_checks {

using namespace std::chrono_literals;

// The parties: tasks or fibres (tests/support/styles.hpp).
using tide::testing::Fibres;
using tide::testing::settle;
using tide::testing::StyleNames;
using tide::testing::Tasks;

template <template <class...> class Q, class S>
void getters_are_served_in_fifo_order() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    auto a = S::start([&] { return queue.get(); });
    auto b = S::start([&] { return queue.get(); });
    auto c = S::start([&] { return queue.get(); });
    co_await settle();
    // Each put finds the longest waiting getter and hands it the item at once.
    EXPECT_TRUE(queue.try_put(3));
    EXPECT_TRUE(queue.try_put(1));
    EXPECT_TRUE(queue.try_put(2));
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(co_await a, 3);
    EXPECT_EQ(co_await b, 1);
    EXPECT_EQ(co_await c, 2);
  });
}

template <template <class...> class Q, class S>
void putters_are_served_in_fifo_order() {
  run_clean([]() -> Task<void> {
    Q<int> queue(1);
    EXPECT_TRUE(queue.try_put(0));
    EXPECT_TRUE(queue.full());
    auto a = S::start([&] { return queue.put(1); });
    auto b = S::start([&] { return queue.put(2); });
    auto c = S::start([&] { return queue.put(3); });
    co_await settle();
    EXPECT_EQ(queue.size(), 1u);
    // Each get frees the one place, and the longest waiting putter's item moves in at once.
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) {
      got.push_back(co_await queue.get());
      EXPECT_EQ(queue.size(), i < 3 ? 1u : 0u);
    }
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
    co_await a;
    co_await b;
    co_await c;
  });
}

template <template <class...> class Q, class S>
void a_cancelled_getter_takes_nothing() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    auto first = S::start([&] { return queue.get(); });
    auto second = S::start([&] { return queue.get(); });
    co_await settle();
    S::stop(first);
    EXPECT_THROW(co_await first, tide::Cancelled);
    EXPECT_TRUE(queue.try_put(7));  // the one getter left gets it
    EXPECT_EQ(co_await second, 7);
    EXPECT_TRUE(queue.empty());
  });
}

template <template <class...> class Q, class S>
void a_getter_handed_an_item_keeps_it_when_cancelled_before_it_resumes() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    auto getter = S::start([&] { return queue.get(); });
    co_await settle();
    EXPECT_TRUE(queue.try_put(5));
    S::stop(getter);  // the hand-over came first: the item is returned, nothing is lost
    EXPECT_EQ(co_await getter, 5);
    EXPECT_TRUE(queue.empty());
  });
}

template <template <class...> class Q, class S>
void a_timed_out_getter_takes_nothing() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    auto late = S::start([&] { return tide::timeout(1ms, queue.get()); });
    EXPECT_THROW(co_await late, tide::TimeoutError);
    auto bounded = S::start([&] { return queue.get_for(1ms); });
    EXPECT_EQ(co_await bounded, std::nullopt);
    auto next = S::start([&] { return queue.get(); });
    co_await settle();
    EXPECT_TRUE(queue.try_put(8));
    EXPECT_EQ(co_await next, 8);
    // get_for takes what is there, and waits for what comes.
    EXPECT_TRUE(queue.try_put(9));
    auto ready = S::start([&] { return queue.get_for(0ms); });
    EXPECT_EQ(co_await ready, 9);
    auto waits = S::start([&] { return queue.get_for(1h); });
    co_await settle();
    EXPECT_TRUE(queue.try_put(10));
    EXPECT_EQ(co_await waits, 10);
  });
}

/// A get under tide::timeout handed its item before the deadline, but not resumed before the
/// deadline passes (the loop is held past it): the item wins, the timeout returns it.
template <template <class...> class Q, class S>
void a_get_under_timeout_keeps_an_item_handed_over_before_the_deadline_passed() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    // 100 ms: the put below must come before the deadline even on a loaded machine (1 ms
    // was seen to pass during settle() under a parallel ctest).
    auto getter = S::start([&] { return tide::timeout(100ms, queue.get()); });
    co_await settle();
    EXPECT_TRUE(queue.try_put(7));       // handed over now; the getter resumes at a later turn
    std::this_thread::sleep_for(110ms);  // holds the loop: the deadline is past when it turns
    EXPECT_EQ(co_await getter, 7);
    EXPECT_TRUE(queue.empty());
  });
}

template <template <class...> class Q, class S>
void a_cancelled_putter_leaves_its_item_out() {
  run_clean([]() -> Task<void> {
    Q<int> queue(1);
    EXPECT_TRUE(queue.try_put(1));
    auto first = S::start([&] { return queue.put(2); });
    auto second = S::start([&] { return queue.put(3); });
    co_await settle();
    S::stop(first);
    EXPECT_THROW(co_await first, tide::Cancelled);
    EXPECT_EQ(queue.size(), 1u);
    EXPECT_EQ(co_await queue.get(), 1);  // the place goes to the putter still waiting
    EXPECT_EQ(queue.size(), 1u);
    co_await second;
    EXPECT_EQ(queue.try_get(), 3);
    EXPECT_EQ(queue.try_get(), std::nullopt);
  });
}

template <template <class...> class Q, class S>
void a_timed_out_putter_leaves_its_item_out() {
  run_clean([]() -> Task<void> {
    Q<int> queue(1);
    EXPECT_TRUE(queue.try_put(1));
    auto late = S::start([&] { return tide::timeout(1ms, queue.put(2)); });
    EXPECT_THROW(co_await late, tide::TimeoutError);
    auto bounded = S::start([&] { return queue.put_for(3, 1ms); });
    EXPECT_FALSE(co_await bounded);
    auto next = S::start([&] { return queue.put(4); });
    co_await settle();
    EXPECT_EQ(co_await queue.get(), 1);
    co_await next;
    EXPECT_EQ(queue.try_get(), 4);
    EXPECT_EQ(queue.try_get(), std::nullopt);
    auto room = S::start([&] { return queue.put_for(5, 1h); });  // room at once
    EXPECT_TRUE(co_await room);
    EXPECT_EQ(queue.try_get(), 5);
  });
}

template <template <class...> class Q, class S>
void close_wakes_waiting_getters_with_queue_closed() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    auto a = S::start([&] { return queue.get(); });
    auto b = S::start([&] { return queue.get_for(1h); });
    co_await settle();
    queue.close();
    EXPECT_TRUE(queue.closed());
    EXPECT_THROW(co_await a, tide::QueueClosed);
    EXPECT_THROW(co_await b, tide::QueueClosed);
  });
}

template <template <class...> class Q, class S>
void close_fails_waiting_and_later_putters_without_queueing_their_items() {
  run_clean([]() -> Task<void> {
    Q<int> queue(1);
    EXPECT_TRUE(queue.try_put(1));
    auto a = S::start([&] { return queue.put(2); });
    auto b = S::start([&] { return queue.put_for(3, 1h); });
    co_await settle();
    queue.close();
    EXPECT_THROW(co_await a, tide::QueueClosed);
    EXPECT_THROW(co_await b, tide::QueueClosed);
    auto later = S::start([&] { return queue.put(4); });
    EXPECT_THROW(co_await later, tide::QueueClosed);
    EXPECT_THROW(queue.try_put(5), tide::QueueClosed);
    EXPECT_EQ(queue.size(), 1u);
    auto get = S::start([&] { return queue.get(); });
    EXPECT_EQ(co_await get, 1);
  });
}

template <template <class...> class Q, class S>
void a_closed_queue_hands_out_what_it_holds_then_raises_queue_closed() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    EXPECT_TRUE(queue.try_put(1));
    EXPECT_TRUE(queue.try_put(2));
    queue.close();
    queue.close();  // twice: nothing more
    std::vector<int> got;
    auto first = S::start([&] { return queue.get(); });
    got.push_back(co_await first);
    got.push_back(*queue.try_get());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
    auto drained = S::start([&] { return queue.get(); });
    EXPECT_THROW(co_await drained, tide::QueueClosed);
    EXPECT_THROW(queue.try_get(), tide::QueueClosed);
    queue.task_done();
    queue.task_done();
    co_await queue.join();
  });
}

template <template <class...> class Q, class S>
void try_put_and_try_get_never_wait() {
  run_clean([]() -> Task<void> {
    Q<std::unique_ptr<int>> queue(2);
    EXPECT_EQ(queue.maxsize(), 2u);
    EXPECT_FALSE(queue.try_get().has_value());
    auto one = std::make_unique<int>(1);
    auto two = std::make_unique<int>(2);
    auto three = std::make_unique<int>(3);
    EXPECT_TRUE(queue.try_put(std::move(one)));
    EXPECT_TRUE(queue.try_put(std::move(two)));
    EXPECT_TRUE(queue.full());
    EXPECT_FALSE(queue.try_put(std::move(three)));
    EXPECT_TRUE(three != nullptr && *three == 3);  // not moved from when refused
    auto taken = queue.try_get();
    EXPECT_FALSE(queue.full());
    auto getter = S::start([&] { return queue.get(); });
    auto last = co_await getter;
    EXPECT_TRUE(taken.has_value() && *taken && last);
    if (taken && *taken && last) {
      EXPECT_EQ(**taken + *last, 3);
    }
    EXPECT_TRUE(queue.empty());
    // Move-only items go through waiting puts and gets too.
    auto waiting = S::start([&] { return queue.get(); });
    co_await settle();
    auto putter = S::start([&] { return queue.put(std::make_unique<int>(4)); });
    co_await putter;
    EXPECT_EQ(*co_await waiting, 4);
  });
}

template <template <class...> class Q, class S>
void maxsize_zero_is_unbounded() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    EXPECT_EQ(queue.maxsize(), 0u);
    for (int i = 0; i < 10000; ++i)
      EXPECT_TRUE(queue.try_put(i));
    EXPECT_FALSE(queue.full());
    auto putter = S::start([&] { return queue.put(10000); });  // does not wait
    co_await putter;
    EXPECT_EQ(queue.size(), 10001u);
  });
}

template <template <class...> class Q>
void misuse_is_a_usage_error_naming_the_queue(const char* type) {
  run_clean([type]() -> Task<void> {
    Q<int> queue;
    try {
      queue.task_done();
      ADD_FAILURE() << "task_done() on a queue with nothing put did not throw";
    } catch (const tide::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(type), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("task_done()"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(queue.try_put(1));
    queue.task_done();
    EXPECT_THROW(queue.task_done(), tide::UsageError);
    // A queue belongs to its loop's thread.
    std::thread([&queue, type] {
      try {
        (void)queue.try_put(2);
        ADD_FAILURE() << "try_put() from another thread did not throw";
      } catch (const tide::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find(type), std::string::npos) << e.what();
      }
    }).join();
    EXPECT_EQ(queue.size(), 1u);  // only the first item
    co_return;
  });
}

/// An item handed to a getter whose task or fibre dies (with its loop) before it resumes goes
/// back into the queue: `expected` is the order the queue then hands out `first` (handed to
/// the dying getter) and `stored` (put after it).
template <template <class...> class Q, class S>
void an_item_handed_to_a_getter_that_dies_goes_back(int first, std::vector<int> stored,
                                                    std::vector<int> expected) {
  Q<int> queue;
  {
    tide::Loop loop;
    loop.run_until_complete([](Q<int>& q) -> Task<void> {
      S::start([&q] { return q.get(); }).detach();
      co_await settle();
    }(queue));
    EXPECT_TRUE(queue.try_put(first));  // handed to the waiting getter, which cannot resume
    for (int i : stored)
      EXPECT_TRUE(queue.try_put(i));
    EXPECT_EQ(queue.size(), stored.size());
  }  // the getter dies with its loop, unresumed
  EXPECT_EQ(queue.size(), stored.size() + 1);
  std::vector<int> got;
  while (auto item = queue.try_get())
    got.push_back(*item);
  EXPECT_EQ(got, expected);
}

/// Python's JoinableQueue seed: 2 producers, 2 consumers that mark each item done; `join`
/// returns only once the last item is marked done, and every item is consumed exactly once.
/// Producers and consumers are tasks (S = Tasks) or fibres.
template <template <class...> class Q, class S>
void producers_and_consumers_with_task_done_and_join() {
  run_clean([]() -> Task<void> {
    constexpr int per_producer = 500;
    Q<int> queue(4);
    std::vector<int> consumed;
    int done = 0;
    auto producer = [&](int base) {
      if constexpr (std::is_same_v<S, Tasks>) {
        return tide::spawn([](Q<int>& q, int from) -> Task<void> {
          for (int i = 0; i < per_producer; ++i)
            co_await q.put(from + i);
        }(queue, base));
      } else {
        return tide::spawn_fiber([&queue, base] {
          for (int i = 0; i < per_producer; ++i)
            tide::await(queue.put(base + i));
        });
      }
    };
    auto consumer = [&] {
      if constexpr (std::is_same_v<S, Tasks>) {
        return tide::spawn([](Q<int>& q, std::vector<int>& out, int& n) -> Task<void> {
          for (;;) {
            int item = co_await q.get();
            co_await tide::yield_now();  // "processing": others run meanwhile
            out.push_back(item);
            ++n;
            q.task_done();
          }
        }(queue, consumed, done));
      } else {
        return tide::spawn_fiber([&queue, &consumed, &done] {
          for (;;) {
            int item = tide::await(queue.get());
            tide::yield_now();
            consumed.push_back(item);
            ++done;
            queue.task_done();
          }
        });
      }
    };
    auto c1 = consumer();
    auto c2 = consumer();
    auto p1 = producer(0);
    auto p2 = producer(per_producer);
    co_await settle();  // the producers have started: items are outstanding
    co_await queue.join();
    EXPECT_EQ(done, 2 * per_producer) << "join returned before the last task_done";
    co_await p1;
    co_await p2;
    queue.close();  // the consumers wait for more: closing ends them
    EXPECT_THROW(co_await c1, tide::QueueClosed);
    EXPECT_THROW(co_await c2, tide::QueueClosed);
    std::sort(consumed.begin(), consumed.end());
    std::vector<int> sent(2 * per_producer);
    for (int i = 0; i < 2 * per_producer; ++i)
      sent[i] = i;
    EXPECT_EQ(consumed, sent);
    co_await queue.join();  // nothing outstanding: returns at once
  });
}

/// A join waits while items are outstanding, and a cancelled or timed-out join takes nothing.
template <template <class...> class Q, class S>
void join_waits_for_every_task_done_and_can_be_cancelled_or_timed_out() {
  run_clean([]() -> Task<void> {
    Q<int> queue;
    EXPECT_TRUE(queue.try_put(1));
    EXPECT_TRUE(queue.try_put(2));
    auto cancelled = S::start([&] { return queue.join(); });
    auto joiner = S::start([&] { return queue.join(); });
    co_await settle();
    S::stop(cancelled);
    EXPECT_THROW(co_await cancelled, tide::Cancelled);
    auto timed = S::start([&] { return tide::timeout(1ms, queue.join()); });
    EXPECT_THROW(co_await timed, tide::TimeoutError);
    EXPECT_TRUE(queue.try_get().has_value());
    EXPECT_TRUE(queue.try_get().has_value());
    queue.task_done();
    co_await settle();
    EXPECT_FALSE(joiner.done());  // one item still outstanding
    queue.task_done();
    co_await joiner;
  });
}

/// asyncio's race (a get cancelled just after an item was handed to it must not lose the
/// item), at scale: a queue bounded to one item, 5 producers and 5 consumers passing 100,000
/// items while at every turn of the loop a consumer picked at random (fixed seed) is cancelled
/// and restarted, and a third of the gets run under tide::timeout with limits so short that
/// the deadline and the hand-over often meet in one turn. What is received equals what was
/// sent.
template <template <class...> class Q, class S>
void no_item_is_lost_while_consumers_are_cancelled_and_gets_time_out() {
  run_clean([]() -> Task<void> {
    constexpr int producers = 5;
    constexpr int consumers = 5;
    constexpr int per_producer = 20000;
    constexpr int total = producers * per_producer;
    Q<int> queue(1);
    std::vector<int> received;
    received.reserve(total);
    std::mt19937 random(20261201);
    int timeouts = 0;
    int cancels = 0;

    auto producer = [&](int base) {
      if constexpr (std::is_same_v<S, Tasks>) {
        return tide::spawn([](Q<int>& q, int from) -> Task<void> {
          for (int i = 0; i < per_producer; ++i)
            co_await q.put(from + i);
        }(queue, base));
      } else {
        return tide::spawn_fiber([&queue, base] {
          for (int i = 0; i < per_producer; ++i)
            tide::await(queue.put(base + i));
        });
      }
    };
    // Each consumer gets with a plain get, or under a timeout of 0-2 microseconds (one in
    // three gets), and keeps what it got.
    auto consumer = [&](unsigned seed) {
      if constexpr (std::is_same_v<S, Tasks>) {
        return tide::spawn(
            [](Q<int>& q, std::vector<int>& out, int& timed_out, unsigned s) -> Task<void> {
              std::minstd_rand pick(s);
              for (;;) {
                if (pick() % 3 == 0) {
                  try {
                    out.push_back(
                        co_await tide::timeout(std::chrono::nanoseconds(pick() % 2000), q.get()));
                  } catch (const tide::TimeoutError&) {
                    ++timed_out;
                  }
                } else {
                  out.push_back(co_await q.get());
                }
              }
            }(queue, received, timeouts, seed));
      } else {
        return tide::spawn_fiber([&queue, &received, &timeouts, seed] {
          std::minstd_rand pick(seed);
          for (;;) {
            if (pick() % 3 == 0) {
              try {
                received.push_back(tide::await(
                    tide::timeout(std::chrono::nanoseconds(pick() % 2000), queue.get())));
              } catch (const tide::TimeoutError&) {
                ++timeouts;
              }
            } else {
              received.push_back(tide::await(queue.get()));
            }
          }
        });
      }
    };
    using Consumer = decltype(consumer(0u));
    std::vector<Consumer> eaters;
    for (int i = 0; i < consumers; ++i)
      eaters.push_back(consumer(random()));
    std::vector<decltype(producer(0))> makers;
    for (int i = 0; i < producers; ++i)
      makers.push_back(producer(i * per_producer));

    auto all_made = [&] {
      return std::all_of(makers.begin(), makers.end(), [](auto& m) { return m.done(); });
    };
    while (received.size() < static_cast<std::size_t>(total)) {
      co_await tide::yield_now();
      if (all_made() && queue.empty()) {  // a lost item would keep us here forever
        co_await settle();
        if (received.size() < static_cast<std::size_t>(total)) break;
      }
      Consumer& victim = eaters[random() % consumers];
      S::stop(victim);
      EXPECT_THROW(co_await victim, tide::Cancelled);
      ++cancels;
      victim = consumer(random());
    }
    for (auto& maker : makers)
      co_await maker;
    for (auto& eater : eaters) {
      S::stop(eater);
      EXPECT_THROW(co_await eater, tide::Cancelled);
    }
    EXPECT_TRUE(queue.empty());
    EXPECT_GT(cancels, 1000);
    EXPECT_GT(timeouts, 0);
    std::sort(received.begin(), received.end());
    std::vector<int> sent(total);
    for (int i = 0; i < total; ++i)
      sent[i] = i;
    EXPECT_TRUE(received == sent) << "received " << received.size() << " of " << total;
  });
}

}  // namespace tide::testing::queue_checks

/// The behaviours every queue shares, as typed tests of `Suite` (a typed suite over Tasks and
/// Fibres) for the queue template `Q`: one line per behaviour in each queue's test file.
#define TIDE_QUEUE_SHARED_TESTS(Suite, Q)                                                          \
  TYPED_TEST(Suite, ServesWaitingGettersInFifoOrder) {                                             \
    tide::testing::queue_checks::getters_are_served_in_fifo_order<Q, TypeParam>();                 \
  }                                                                                                \
  TYPED_TEST(Suite, ServesWaitingPuttersInFifoOrder) {                                             \
    tide::testing::queue_checks::putters_are_served_in_fifo_order<Q, TypeParam>();                 \
  }                                                                                                \
  TYPED_TEST(Suite, ACancelledGetterTakesNothing) {                                                \
    tide::testing::queue_checks::a_cancelled_getter_takes_nothing<Q, TypeParam>();                 \
  }                                                                                                \
  TYPED_TEST(Suite, AGetterHandedAnItemKeepsItWhenCancelledBeforeItResumes) {                      \
    tide::testing::queue_checks::                                                                  \
        a_getter_handed_an_item_keeps_it_when_cancelled_before_it_resumes<Q, TypeParam>();         \
  }                                                                                                \
  TYPED_TEST(Suite, ATimedOutGetterTakesNothing) {                                                 \
    tide::testing::queue_checks::a_timed_out_getter_takes_nothing<Q, TypeParam>();                 \
  }                                                                                                \
  TYPED_TEST(Suite, AGetUnderTimeoutKeepsAnItemHandedOverBeforeTheDeadlinePassed) {                \
    tide::testing::queue_checks::                                                                  \
        a_get_under_timeout_keeps_an_item_handed_over_before_the_deadline_passed<Q, TypeParam>();  \
  }                                                                                                \
  TYPED_TEST(Suite, ACancelledPutterLeavesItsItemOut) {                                            \
    tide::testing::queue_checks::a_cancelled_putter_leaves_its_item_out<Q, TypeParam>();           \
  }                                                                                                \
  TYPED_TEST(Suite, ATimedOutPutterLeavesItsItemOut) {                                             \
    tide::testing::queue_checks::a_timed_out_putter_leaves_its_item_out<Q, TypeParam>();           \
  }                                                                                                \
  TYPED_TEST(Suite, CloseWakesWaitingGettersWithQueueClosed) {                                     \
    tide::testing::queue_checks::close_wakes_waiting_getters_with_queue_closed<Q, TypeParam>();    \
  }                                                                                                \
  TYPED_TEST(Suite, CloseFailsWaitingAndLaterPuttersWithoutQueueingTheirItems) {                   \
    tide::testing::queue_checks::                                                                  \
        close_fails_waiting_and_later_putters_without_queueing_their_items<Q, TypeParam>();        \
  }                                                                                                \
  TYPED_TEST(Suite, AClosedQueueHandsOutWhatItHoldsThenRaisesQueueClosed) {                        \
    tide::testing::queue_checks::a_closed_queue_hands_out_what_it_holds_then_raises_queue_closed<  \
        Q, TypeParam>();                                                                           \
  }                                                                                                \
  TYPED_TEST(Suite, TryPutAndTryGetNeverWaitAndMoveOnlyItemsWork) {                                \
    tide::testing::queue_checks::try_put_and_try_get_never_wait<Q, TypeParam>();                   \
  }                                                                                                \
  TYPED_TEST(Suite, MaxsizeZeroIsUnbounded) {                                                      \
    tide::testing::queue_checks::maxsize_zero_is_unbounded<Q, TypeParam>();                        \
  }                                                                                                \
  TYPED_TEST(Suite, ProducersAndConsumersWithTaskDoneAndJoin) {                                    \
    tide::testing::queue_checks::producers_and_consumers_with_task_done_and_join<Q, TypeParam>();  \
  }                                                                                                \
  TYPED_TEST(Suite, JoinWaitsForEveryTaskDoneAndCanBeCancelledOrTimedOut) {                        \
    tide::testing::queue_checks::join_waits_for_every_task_done_and_can_be_cancelled_or_timed_out< \
        Q, TypeParam>();                                                                           \
  }                                                                                                \
  TYPED_TEST(Suite, NoItemIsLostWhileConsumersAreCancelledAndGetsTimeOut) {                        \
    tide::testing::queue_checks::no_item_is_lost_while_consumers_are_cancelled_and_gets_time_out<  \
        Q, TypeParam>();                                                                           \
  }
