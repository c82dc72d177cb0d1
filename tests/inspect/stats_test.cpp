// Loop::stats as operators chart it: what was spawned, finished and cancelled, timers, posts,
// I/O per kind, busy and idle time, and the histogram of step durations (issue 18).
#include <tide/tide.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <thread>

namespace {

using namespace std::chrono_literals;
using tide::Task;

const tide::Loop::IoKindStats& io_of(const tide::Loop::Stats& stats, std::string_view kind) {
  for (const auto& entry : stats.io)
    if (entry.kind == kind) return entry;
  static const tide::Loop::IoKindStats none;
  ADD_FAILURE() << "no I/O kind " << kind;
  return none;
}

TEST(Stats, CountsTasksSpawnedFinishedAndCancelled) {
  tide::Loop loop;
  auto quick = []() -> Task<void> { co_return; };
  auto forever = []() -> Task<void> { co_await tide::sleep_for(1h); };
  auto a = loop.spawn(quick());
  auto b = loop.spawn(quick());
  auto c = loop.spawn(forever());
  loop.run_once(0ms);
  c.cancel();
  loop.run();
  const auto stats = loop.stats();
  EXPECT_EQ(stats.tasks_spawned, 3u);
  EXPECT_EQ(stats.tasks_finished, 3u);
  EXPECT_EQ(stats.tasks_cancelled, 1u);
  EXPECT_EQ(stats.fibres_spawned, 0u);
}

TEST(Stats, CountsFibresSpawnedFinishedAndKilled) {
  tide::Loop loop;
  auto done = tide::spawn_fiber(loop, [] {});
  auto killed = tide::spawn_fiber(loop, [] { tide::sleep(1h); });
  loop.run_once(0ms);
  killed.kill();
  loop.run();
  const auto stats = loop.stats();
  EXPECT_EQ(stats.fibres_spawned, 2u);
  EXPECT_EQ(stats.fibres_finished, 2u);
  EXPECT_EQ(stats.fibres_cancelled, 1u);
  EXPECT_EQ(stats.tasks_spawned, 0u);
}

TEST(Stats, CountsTimersAndPosts) {
  tide::Loop loop;
  loop.run_until_complete([]() -> Task<void> {
    for (int i = 0; i < 3; ++i)
      co_await tide::sleep_for(1ms);
  }());
  for (int i = 0; i < 5; ++i)
    loop.post([] {});
  std::thread([remote = loop.remote()]() mutable { remote.post([] {}); }).join();
  loop.run();
  const auto stats = loop.stats();
  EXPECT_EQ(stats.timers_armed, 3u);
  EXPECT_EQ(stats.posts_received, 6u);
}

TEST(Stats, CountsIoPerKind) {
  tide::Loop loop;
  auto [ours, theirs] = tide::net::socketpair();
  loop.run_until_complete(
      [](tide::net::UnixStream& reader, tide::net::UnixStream& writer) -> Task<void> {
        auto read = tide::spawn([](tide::net::UnixStream& r) -> Task<std::size_t> {
          std::byte buffer[16];
          co_return co_await r.read_some(buffer);  // nothing there yet: it waits
        }(reader));
        co_await tide::sleep_for(1ms);
        co_await writer.write_all(std::string_view("hello"));
        EXPECT_EQ(co_await read, 5u);
      }(ours, theirs));
  const auto stats = loop.stats();
  const auto& recv = io_of(stats, "recv");
  EXPECT_EQ(recv.submitted, 1u) << "the read had to wait";
  EXPECT_EQ(recv.completed, 1u);
  const auto& send = io_of(stats, "send");
  EXPECT_EQ(send.submitted + send.completed_at_once, 1u);
}

TEST(Stats, BusyAndIdleTime) {
  tide::Loop loop;
  loop.run_until_complete([]() -> Task<void> {
    co_await tide::sleep_for(50ms);  // idle: the loop blocks until the timer is due
    const auto until = std::chrono::steady_clock::now() + 30ms;
    while (std::chrono::steady_clock::now() < until) {
    }  // busy: the loop runs this step
  }());
  const auto stats = loop.stats();
  EXPECT_GE(stats.idle, 45ms);
  EXPECT_GE(stats.busy, 30ms);
}

TEST(Stats, OneStepIn128IsTimed) {
  tide::Loop loop;
  loop.run_until_complete([]() -> Task<void> {
    for (int i = 0; i < 1000; ++i)
      co_await tide::yield_now();
  }());
  const auto stats = loop.stats();
  EXPECT_GE(stats.steps, 1000u);
  EXPECT_EQ(stats.steps_timed, stats.steps / 128);
  EXPECT_EQ(std::accumulate(stats.step_log2_ns.begin(), stats.step_log2_ns.end(), std::uint64_t{0}),
            stats.steps_timed);
}

TEST(Stats, WithoutMetricsTheTimesStayZeroAndTheCountsGoOn) {
  tide::Loop loop({.metrics = false});
  loop.run_until_complete([]() -> Task<void> {
    for (int i = 0; i < 200; ++i)
      co_await tide::yield_now();
    co_await tide::sleep_for(5ms);
  }());
  const auto stats = loop.stats();
  EXPECT_EQ(stats.busy, 0ns);
  EXPECT_EQ(stats.idle, 0ns);
  EXPECT_EQ(stats.steps_timed, 0u);
  EXPECT_EQ(stats.tasks_spawned, 1u);
  EXPECT_GE(stats.steps, 200u);
  EXPECT_EQ(stats.timers_armed, 1u);
}

}  // namespace
