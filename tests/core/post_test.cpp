#include <tide/core/loop.hpp>

#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>

#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Loop;

TEST(Post, FourThreadsTimesHundredThousandPostsEachRunExactlyOnce) {
  constexpr int threads = 4, per_thread = 100'000;
  Loop loop;
  std::vector<int> ran(threads * per_thread, 0);  // touched on the loop thread only
  int total = 0;
  std::vector<std::thread> posters;
  {
    // A Remote keeps run() waiting for posts; each poster thread holds one until it is done.
    std::vector<Loop::Remote> remotes(threads, loop.remote());
    for (int t = 0; t < threads; ++t)
      posters.emplace_back([&, t, remote = std::move(remotes[t])]() mutable {
        for (int i = 0; i < per_thread; ++i)
          remote.post([&, id = t * per_thread + i] {
            ++ran[id];
            ++total;
          });
        Loop::Remote gone = std::move(remote);  // release before the thread ends
      });
  }
  loop.run();  // returns once every Remote is gone and every post has run
  for (auto& p : posters)
    p.join();
  EXPECT_EQ(total, threads * per_thread);
  for (int id = 0; id < threads * per_thread; ++id)
    ASSERT_EQ(ran[id], 1) << "post " << id;
}

TEST(Post, PostDirectlyOnTheLoopFromManyThreads) {
  Loop loop;
  std::atomic<int> remaining{4 * 10'000};
  int ran = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t)
    posters.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i)
        loop.post([&] {
          ++ran;
          remaining.fetch_sub(1);
        });
    });
  while (remaining.load() > 0)
    loop.run_once(100ms);
  for (auto& p : posters)
    p.join();
  loop.run_once(0ms);
  EXPECT_EQ(ran, 40'000);
}

// The loop sleeps in its backend with nothing else that could wake it (no timer, no I/O) and
// would sleep far longer than the test allows: only the post's wake-up ends the sleep in time.
// A lost wake-up must fail the test, not merely make it slow.
TEST(Post, WakesASleepingLoop) {
  using Clock = std::chrono::steady_clock;
  constexpr auto would_sleep = 10s;
  constexpr auto must_wake_within = 2s;
  Loop loop;
  auto remote = loop.remote();
  const pid_t loop_thread = tide::testing::this_thread_id();
  std::atomic<bool> running{false};
  Clock::time_point posted_at;  // written by the poster, read after joining it
  bool ran = false;
  std::thread poster([&] {
    running.wait(false);
    // Post only once the loop thread sleeps in the kernel, so that the wake-up write is what
    // must end the sleep (a post before it is seen by the check before sleeping instead).
    tide::testing::wait_until_blocked(loop_thread);
    posted_at = Clock::now();
    remote.post([&] { ran = true; });
  });
  running = true;
  running.notify_one();
  loop.run_once(would_sleep);  // one iteration: it returns when the post wakes it
  const auto woke_at = Clock::now();
  poster.join();
  EXPECT_TRUE(ran);
  EXPECT_LT(woke_at - posted_at, must_wake_within)
      << "lost wake-up: the loop slept on after the post";
}

// An embedding host sleeps in its own poll(2) on backend_fd() after asking next_timeout():
// a post from another thread, before or during that sleep, must wake it.
TEST(Post, WakesAnEmbeddingHostSleepingOnTheBackendFd) {
  Loop loop;
  const int host_fd = loop.backend_fd();  // asked before the loop first runs
  for (int round = 0; round < 200; ++round) {
    std::atomic<bool> ran{false};
    auto remote = loop.remote();
    std::thread poster([&] { remote.post([&] { ran = true; }); });
    while (!ran) {
      auto timeout = loop.next_timeout();
      pollfd p{host_fd, POLLIN, 0};
      int n = ::poll(&p, 1, timeout ? 0 : 10'000);
      ASSERT_TRUE(n != 0 || timeout) << "lost wake-up: the host slept 10 s";
      loop.run_once(std::chrono::nanoseconds::zero());
    }
    poster.join();
  }
}

TEST(Post, RemoteStopStopsRunFromAnotherThread) {
  Loop loop;
  auto h = loop.spawn([]() -> tide::Task<void> {
    for (;;)
      co_await tide::sleep_for(1ms);
  }());
  auto remote = loop.remote();
  std::thread stopper([r = remote]() mutable { r.stop(); });
  loop.run();
  stopper.join();
  EXPECT_FALSE(h.done());
}

}  // namespace

namespace {

TEST(Post, SpawningFromAForeignThreadIsReportedInDebugBuilds) {
#ifdef NDEBUG
  GTEST_SKIP() << "debug builds only";
#else
  tide::Loop loop;
  loop.run_once(std::chrono::milliseconds(0));  // binds the loop to this thread
  bool threw = false;
  std::thread other([&] {
    try {
      auto h = loop.spawn([]() -> tide::Task<void> { co_return; }());
      h.detach();
    } catch (const tide::UsageError& e) {
      threw = std::string(e.what()).find("spawn") != std::string::npos;
    }
  });
  other.join();
  EXPECT_TRUE(threw);
#endif
}

}  // namespace
