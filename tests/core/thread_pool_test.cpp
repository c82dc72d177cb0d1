#include <tide/core/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/when_all.hpp>

#include "gate.hpp"
#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::testing::Gate;

TEST(ThreadPool, LoopDestructionWaitsForRunningCallsAndDropsQueuedOnes) {
  Gate started, gate;
  std::atomic<bool> finished{false}, queued_ran{false};
  std::optional<tide::Loop> loop;
  tide::Loop::Options options;
  options.thread_pool_size = 1;
  loop.emplace(std::move(options));
  loop->spawn([](Gate& s, Gate& g, std::atomic<bool>& f) -> Task<void> {
        co_await tide::to_thread([&] {
          s.open();
          g.wait();
          f = true;
        });
      }(started, gate, finished))
      .detach();
  loop->spawn([](std::atomic<bool>& r) -> Task<void> {
        co_await tide::to_thread([&] { r = true; });
      }(queued_ran))
      .detach();
  loop->run_once(0ms);
  started.wait();  // the first call runs on the only worker; the second is queued behind it
  const pid_t loop_thread = tide::testing::this_thread_id();
  std::atomic<bool> destroying{false};
  std::thread opener([&] {
    destroying.wait(false);
    // The gate opens once the destructor blocks (it can only be waiting for the held call): a
    // destructor that returned while the call runs would find `finished` still false.
    tide::testing::wait_until_blocked(loop_thread);
    gate.open();
  });
  destroying = true;
  destroying.notify_one();
  loop.reset();
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(queued_ran.load());
  opener.join();
}

TEST(ThreadPool, StandaloneExecuteRunsOnAWorker) {
  tide::ThreadPool pool(2);
  std::atomic<int> count{0};
  for (int i = 0; i < 100; ++i)
    pool.execute([&] { ++count; });
  pool.shutdown();  // runs what was accepted, then joins
  EXPECT_EQ(count.load(), 100);
  EXPECT_THROW(pool.execute([] {}), tide::LoopClosed);
  EXPECT_THROW(tide::ThreadPool(0), std::invalid_argument);
}

// A worker cannot join itself: shutdown from inside the pool is refused clearly (it used to
// end in std::terminate), and the pool goes on working.
TEST(ThreadPool, ShutdownFromItsOwnWorkerIsAUsageError) {
  tide::ThreadPool pool(1);
  std::promise<std::string> outcome;  // what shutdown did on the worker
  pool.execute([&] {
    try {
      pool.shutdown();
      outcome.set_value("returned");
    } catch (const tide::UsageError& e) {
      outcome.set_value(std::string("UsageError: ") + e.what());
    } catch (...) {
      outcome.set_value("another exception");
    }
  });
  const std::string seen = outcome.get_future().get();
  EXPECT_EQ(seen.rfind("UsageError: ", 0), 0u) << seen;
  EXPECT_NE(seen.find("own workers"), std::string::npos) << seen;
  std::promise<void> ran;
  pool.execute([&] { ran.set_value(); });  // still accepting work
  ran.get_future().get();
  pool.shutdown();  // from outside it works
  EXPECT_THROW(pool.execute([] {}), tide::LoopClosed);
}

// Issue 16: of 100,000 calls with half of them cancelled, the queued ones end Cancelled without
// running, the running ones finish (their task gets the result, then Cancelled), and every call
// not cancelled runs once. The two workers are held at a gate while the cancellations happen, so
// which calls are running and which are queued is known exactly.
TEST(ThreadPool, OfManyCallsHalfCancelledQueuedOnesEndCancelledAndRunningOnesFinish) {
  constexpr int calls = 100'000;
  constexpr int workers = 2;
  tide::Loop::Options options;
  options.thread_pool_size = workers;
  tide::testing::run_clean(
      []() -> Task<void> {
        enum Outcome : int { none, returned, cancelled, wrong };
        std::vector<Outcome> outcome(calls, none);  // loop thread only
        std::vector<std::atomic<int>> runs(calls);  // bumped on the workers
        Gate gate;
        std::atomic<int> started{0};
        auto one = [&](int i) -> Task<void> {
          try {
            const int v = co_await tide::to_thread([&, i] {
              if (i < workers) {  // the first calls hold both workers
                started.fetch_add(1);
                started.notify_all();
                gate.wait();
              }
              runs[i].fetch_add(1, std::memory_order_relaxed);
              return i;
            });
            outcome[i] = v == i ? returned : wrong;
            co_await tide::yield_now();  // a pending cancellation is raised here
          } catch (const tide::Cancelled&) {
            if (outcome[i] == none) outcome[i] = cancelled;
            throw;
          }
        };
        std::vector<tide::JoinHandle<void>> handles;
        handles.reserve(calls);
        for (int i = 0; i < calls; ++i)
          handles.push_back(tide::spawn(one(i)));
        co_await tide::yield_now();  // every task has submitted its call
        for (int seen = started.load(); seen < workers; seen = started.load())
          started.wait(seen);  // both workers hold one of the first calls
        for (int i = 0; i < calls; i += 2)
          handles[i].cancel();
        co_await tide::yield_now();
        gate.open();
        int cancelled_joins = 0;
        for (auto& h : handles) {
          try {
            co_await h;
          } catch (const tide::Cancelled&) {
            ++cancelled_joins;
          }
        }
        EXPECT_EQ(cancelled_joins, calls / 2);
        int ran = 0;
        for (int i = 0; i < calls; ++i) {
          const int r = runs[i].load();
          ran += r;
          if (i % 2 == 1 || i < workers) {  // not cancelled, or already running when cancelled
            EXPECT_EQ(r, 1) << "call " << i;
            EXPECT_EQ(outcome[i], returned) << "call " << i;
          } else {  // cancelled while queued
            EXPECT_EQ(r, 0) << "call " << i;
            EXPECT_EQ(outcome[i], cancelled) << "call " << i;
          }
          if (::testing::Test::HasFailure()) break;
        }
        EXPECT_EQ(ran, calls / 2 + workers / 2);
      },
      std::move(options));
}

// A cancelled call that never ran lets go of what its callable holds at once, not when a worker
// reaches its place in the queue.
TEST(ThreadPool, AWithdrawnCallReleasesItsCallableAtOnce) {
  tide::Loop::Options options;
  options.thread_pool_size = 1;
  tide::testing::run_clean(
      []() -> Task<void> {
        Gate gate;
        std::atomic<bool> started{false};
        auto holder = tide::spawn([](Gate& g, std::atomic<bool>& s) -> Task<void> {
          co_await tide::to_thread([&] {
            s = true;
            s.notify_all();
            g.wait();
          });
        }(gate, started));
        auto captured = std::make_shared<int>(7);
        // The callable is a named local: g++ 12 destroys a non-trivial temporary in a co_await
        // expression twice, which would release the copy twice.
        auto queued = tide::spawn([](const std::shared_ptr<int>* p) -> Task<void> {
          auto call = [copy = *p] { return *copy; };
          co_await tide::to_thread(std::move(call));
        }(&captured));
        co_await tide::yield_now();
        started.wait(false);
        EXPECT_GT(captured.use_count(), 1);
        queued.cancel();
        EXPECT_THROW(co_await queued, tide::Cancelled);
        EXPECT_EQ(captured.use_count(), 1) << "the withdrawn call still holds its callable";
        gate.open();
        co_await holder;
      },
      std::move(options));
}

// Issue 16: shutting down a pool with 1,000 blocking calls queued, asked to drop them, returns
// as soon as the running calls end (the bound of a second is a wide margin: running the queued
// calls would take 1,000 x 20 ms / 2 workers = 10 s).
TEST(ThreadPool, ShutdownThatCancelsQueuedCallsDoesNotRunThem) {
  tide::ThreadPool pool(2);
  Gate gate;
  std::atomic<int> started{0}, queued_ran{0};
  for (int i = 0; i < 2; ++i)
    pool.execute([&] {
      started.fetch_add(1);
      started.notify_all();
      gate.wait();
    });
  for (int i = 0; i < 1'000; ++i)
    pool.execute([&] {
      std::this_thread::sleep_for(20ms);  // the blocking work itself
      queued_ran.fetch_add(1);
    });
  for (int seen = started.load(); seen < 2; seen = started.load())
    started.wait(seen);
  const pid_t here = tide::testing::this_thread_id();
  std::thread opener([&] {
    tide::testing::wait_until_blocked(here);  // shutdown dropped the queue and joins
    gate.open();
  });
  const auto start = std::chrono::steady_clock::now();
  pool.shutdown({.cancel_queued = true});
  const auto took = std::chrono::steady_clock::now() - start;
  opener.join();
  EXPECT_EQ(queued_ran.load(), 0);
  EXPECT_LT(took, 1s);
  EXPECT_THROW(pool.execute([] {}), tide::LoopClosed);
}

// Without waiting, shutdown returns at once; the destructor (or a later shutdown) joins.
TEST(ThreadPool, ShutdownWithoutWaitingReturnsWhileCallsRun) {
  Gate gate;
  std::atomic<int> started{0}, queued_ran{0};
  {
    tide::ThreadPool pool(1);
    pool.execute([&] {
      started = 1;
      started.notify_all();
      gate.wait();
    });
    for (int i = 0; i < 1'000; ++i)
      pool.execute([&] { queued_ran.fetch_add(1); });
    started.wait(0);
    pool.shutdown({.wait = false, .cancel_queued = true});  // the worker is still held
    EXPECT_THROW(pool.execute([] {}), tide::LoopClosed);
    gate.open();
  }  // the destructor joins the worker
  EXPECT_EQ(queued_ran.load(), 0);
}

// The default, as Python's shutdown(wait=True, cancel_futures=False) and the destructor: every
// call accepted runs, then the workers are joined.
TEST(ThreadPool, DestructionRunsEveryAcceptedCall) {
  std::atomic<int> ran{0};
  {
    tide::ThreadPool pool(2);
    for (int i = 0; i < 1'000; ++i)
      pool.execute([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1'000);
}

// A task awaiting a call the pool dropped is told so (LoopClosed), and the loop goes on.
TEST(ThreadPool, ATaskWhoseCallWasDroppedGetsLoopClosed) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::ThreadPool pool(1);
    Gate gate;
    std::atomic<bool> started{false};
    auto holder = tide::spawn([](tide::ThreadPool& p, Gate& g, std::atomic<bool>& s) -> Task<void> {
      co_await p.run([&] {
        s = true;
        s.notify_all();
        g.wait();
      });
    }(pool, gate, started));
    auto dropped = tide::spawn(
        [](tide::ThreadPool& p) -> Task<int> { co_return co_await p.run([] { return 1; }); }(pool));
    co_await tide::yield_now();
    started.wait(false);
    pool.shutdown({.wait = false, .cancel_queued = true});
    EXPECT_THROW(co_await dropped, tide::LoopClosed);
    gate.open();
    co_await holder;
  });
}

}  // namespace
