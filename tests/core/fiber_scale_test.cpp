// Fibres in large numbers: 100,000 spawned and joined or killed, the mapping limit, memory
// that returns to its baseline, and a stack overflow reported instead of corrupting memory.
#include <tide/core/fiber.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>

#include "process_memory.hpp"
#include "recursion.hpp"
#include "sanitizers.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Fiber;
using tide::Loop;
using tide::testing::LiveCounter;
using tide::testing::sanitized;

// Sanitizer runtimes keep large per-fibre state (TSan maps a trace for each): far fewer there.
constexpr int total = sanitized ? 3'000 : 100'000;
constexpr int wave = sanitized ? 1'000 : 10'000;

TEST(FiberScale, HundredThousandSpawnedAndJoinedInWaves) {
  Loop loop;
  long sum = 0;
  for (int w = 0; w < total / wave; ++w) {
    std::vector<Fiber<int>> fibres;
    fibres.reserve(wave);
    for (int i = 0; i < wave; ++i)
      fibres.push_back(tide::spawn_fiber(loop, [i] {
        tide::yield_now();
        return i;
      }));
    for (auto& f : fibres)
      sum += f.join();
  }
  EXPECT_EQ(sum, (total / wave) * (static_cast<long>(wave) * (wave - 1) / 2));
  EXPECT_EQ(loop.stats().tasks, 0u);
}

TEST(FiberScale, HundredThousandAtOnceWithUnguardedStacks) {
  if (sanitized) GTEST_SKIP() << "too much shadow memory under a sanitizer";
  Loop loop;
  tide::FiberOptions options;
  options.guarded = false;  // 100,000 guarded stacks would need 200,000 mappings
  options.stack_size = 32 * 1024;
  std::vector<Fiber<void>> fibres;
  fibres.reserve(total);
  int awake = 0;
  for (int i = 0; i < total; ++i)
    fibres.push_back(tide::spawn_fiber(loop, options, [&awake] {
      tide::sleep(1ms);
      ++awake;
    }));
  EXPECT_EQ(tide::joinall(fibres), static_cast<std::size_t>(total));
  EXPECT_EQ(awake, total);
}

TEST(FiberScale, KillingHundredThousandSleepersRunsEveryDestructor) {
  Loop loop;
  int live = 0;
  int unwound = 0;
  for (int w = 0; w < total / wave; ++w) {
    std::vector<Fiber<void>> fibres;
    fibres.reserve(wave);
    for (int i = 0; i < wave; ++i)
      fibres.push_back(tide::spawn_fiber(loop, [&] {
        LiveCounter guard(live);
        try {
          tide::sleep(1h);
        } catch (const tide::FiberExit&) {
          ++unwound;
          throw;
        }
      }));
    loop.run_once(0ns);  // all asleep
    ASSERT_EQ(live, wave);
    for (auto& f : fibres)
      f.kill();
    ASSERT_EQ(tide::joinall(fibres), static_cast<std::size_t>(wave));
    for (auto& f : fibres)
      ASSERT_TRUE(f.killed());
    ASSERT_EQ(live, 0);
  }
  EXPECT_EQ(unwound, total);
  auto stats = loop.stats();
  EXPECT_EQ(stats.tasks, 0u) << "fibres left alive";
  EXPECT_EQ(stats.timers, 0u) << "sleeps left armed";
}

// Guarded fibres until this machine's vm.max_map_count (read from /proc) runs out: each takes
// two mappings for its stack, and one committed page at the stack's top.
TEST(FiberScale, GuardedFibresUntilTheMappingLimitFailClearly) {
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime needs mappings of its own";
  // About 5 KiB resident each: 100,000 is about 500 MB. Beyond that, skip.
  constexpr std::size_t most_fibres = 100'000;
  const auto limit = tide::testing::max_map_count();
  const auto reachable = tide::testing::mappings_left_for(2);
  if (!limit || !reachable) GTEST_SKIP() << "/proc/sys/vm/max_map_count is not readable";
  if (*reachable > most_fibres)
    GTEST_SKIP() << "vm.max_map_count is " << *limit << ": reaching it takes about " << *reachable
                 << " guarded fibres, more than this test creates (" << most_fibres << ")";
  const std::size_t attempts = *reachable + *reachable / 10 + 1'000;
  std::string error;
  std::size_t created = 0;
  {
    Loop loop;
    std::vector<Fiber<void>> fibres;
    fibres.reserve(attempts);  // no growth at the limit, where the kernel refuses new mappings
    // Spawning takes the stack at once; the fibres never run (at the limit nothing else could
    // grow either: the kernel refuses even brk() once the mapping count is reached).
    while (error.empty()) {
      try {
        fibres.push_back(tide::spawn_fiber(loop, [] {}));
      } catch (const std::system_error& e) {
        error = e.what();
      }
      ASSERT_LT(fibres.size(), attempts) << "no limit hit (vm.max_map_count is " << *limit
                                         << "): guard pages are not separate mappings";
    }
    created = fibres.size();
  }  // the loop goes with its unstarted fibres and gives their stacks back
  EXPECT_NE(error.find("vm.max_map_count is " + std::to_string(*limit)), std::string::npos)
      << error;
  EXPECT_GE(created, *reachable - *reachable / 10)
      << "failed after " << created << " fibres, well before the limit (about " << *reachable
      << ")";
  // And fibres can be created again.
  Loop loop;
  auto again = tide::spawn_fiber(loop, [] { return 7; });
  EXPECT_EQ(again.join(), 7);
}

TEST(FiberScale, CreateDestroyCyclesLeaveMappingsAndMemoryAtBaseline) {
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime maps memory of its own";
  Loop loop;
  auto cycle = [&loop](int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<Fiber<void>> batch;
      for (int j = 0; j < 100; ++j)
        batch.push_back(tide::spawn_fiber(loop, [] {
          volatile char touch[8192];
          touch[0] = 1;
          tide::sleep(1h);
          (void)touch[0];
        }));
      loop.run_once(0ns);
      // half killed, half dropped with their handles (which kills them too)
      for (int j = 0; j < 50; ++j)
        batch[j].kill();
      (void)tide::joinall(std::span(batch.data(), 50));
      batch.clear();
      while (loop.run_once(0ns)) {
      }
    }
  };
  cycle(2);  // warm up: pools and allocator caches reach their steady size
  const std::size_t maps_before = tide::testing::mapping_count();
  const long rss_before = tide::testing::resident_pages();
  cycle(100);  // 10,000 fibres, 100 alive at a time
  EXPECT_LE(tide::testing::mapping_count(), maps_before);
  EXPECT_LE(tide::testing::resident_pages(), rss_before + rss_before / 20)
      << "resident set grew over 5%";
  EXPECT_EQ(loop.stats().tasks, 0u);
}

TEST(FiberDeathTest, StackOverflowIsReportedWithIdAndSize) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Loop loop;
        tide::FiberOptions options;
        options.stack_size = 64 * 1024;
        auto f = tide::spawn_fiber(loop, options,
                                   [] { return tide::testing::recurse_until_overflow(0); });
        (void)f.join().get();
      },
      "fibre stack overflow in fibre [0-9]+ \\(stack size 65536 bytes\\)");
}

}  // namespace
