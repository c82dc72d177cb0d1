// The stall detector (Loop::Options::stall_threshold): a step that holds the loop past the
// threshold is reported while it still holds it, with what runs and the loop thread's stack,
// and once more when it ends; shorter steps, and a loop that is busy with many short steps,
// are not reported. The watchdog is a thread: these run under TSan too (issue 18).
#include <tide/tide.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inspect_support.hpp"
#include "sanitizers.hpp"

namespace {

using namespace std::chrono_literals;
using tide::StallReport;

// Reports as the watchdog thread delivers them, with whether the step was still blocking.
struct Reports {
  std::mutex mutex;
  std::vector<StallReport> seen;
  std::vector<bool> while_blocked;
  std::atomic<bool> blocking{false};

  auto handler() {
    return [this](const StallReport& report) {
      std::lock_guard lock(mutex);
      seen.push_back(report);
      while_blocked.push_back(blocking.load());
    };
  }
  std::vector<StallReport> take() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

// Not inlined, with external linkage: the stack names it.
[[gnu::noinline]] void block_the_loop(Reports& reports, std::chrono::milliseconds how_long) {
  reports.blocking = true;
  std::this_thread::sleep_for(how_long);  // what a careless handler does
  reports.blocking = false;
  asm volatile("");
}

tide::Task<void> blocking_task(Reports& reports, std::chrono::milliseconds how_long) {
  block_the_loop(reports, how_long);
  co_return;
}

void expect_one_stall(Reports& reports, const std::string& running, unsigned spawn_line) {
  const std::vector<StallReport> seen = reports.take();
  ASSERT_EQ(seen.size(), 2u) << "one report while stuck, one when over";
  const StallReport& first = seen[0];
  EXPECT_FALSE(first.ended);
  EXPECT_TRUE(reports.while_blocked[0]) << "reported after the step ended, not while it blocked";
  EXPECT_EQ(first.running, running);
  EXPECT_GE(first.held_for, 100ms);
  EXPECT_TRUE(first.spawned_at.known());
  EXPECT_EQ(first.spawned_at.line, spawn_line);
  // The stack comes from a signal the loop thread handles at once; under TSan, only once the
  // thread is in a call TSan treats as blocking, which may be after the report is due.
  if (!tide::testing::thread_sanitized) {
    EXPECT_NE(joined(first.stack_lines()).find("block_the_loop"), std::string::npos)
        << joined(first.stack_lines());
  }
  EXPECT_NE(first.text().find("stall: " + running + " has held the loop for"), std::string::npos)
      << first.text();
  const StallReport& last = seen[1];
  EXPECT_TRUE(last.ended);
  EXPECT_EQ(last.running, running);
  // 300 ms blocked; the watchdog looks every 25 ms, so it saw at least 275 of them.
  EXPECT_GE(last.held_for, 250ms);
  EXPECT_NE(last.text().find("stall over: " + running + " held the loop for"), std::string::npos)
      << last.text();
}

TEST(Stall, ATaskThatBlocksIsReportedWhileItBlocks) {
  Reports reports;
  unsigned line = 0;
  {
    tide::Loop loop({.stall_threshold = 100ms, .on_stall = reports.handler()});
    line = __LINE__ + 1;
    auto task = loop.spawn(blocking_task(reports, 300ms), "blocker");
    loop.run();
  }
  expect_one_stall(reports, "task #1 'blocker'", line);
}

TEST(Stall, AFibreThatBlocksIsReportedWhileItBlocks) {
  Reports reports;
  const tide::FiberOptions options{.name = "blocker"};  // the fibre is spawned "here"
  {
    tide::Loop loop({.stall_threshold = 100ms, .on_stall = reports.handler()});
    auto fibre = tide::spawn_fiber(loop, options, [&] { block_the_loop(reports, 300ms); });
    fibre.join();
  }
  expect_one_stall(reports, "fibre #1 'blocker'", options.where.line);
}

TEST(Stall, ACallbackThatBlocksIsReportedAsOne) {
  Reports reports;
  {
    tide::Loop loop({.stall_threshold = 100ms, .on_stall = reports.handler()});
    loop.post([&] { block_the_loop(reports, 300ms); });
    loop.run();
  }
  const std::vector<StallReport> seen = reports.take();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].running, "a posted callback");
  EXPECT_FALSE(seen[0].spawned_at.known());
  if (!tide::testing::thread_sanitized) {
    EXPECT_NE(joined(seen[0].stack_lines()).find("block_the_loop"), std::string::npos);
  }
}

TEST(Stall, NothingIsReportedBelowTheThreshold) {
  Reports reports;
  {
    tide::Loop loop({.stall_threshold = 500ms, .on_stall = reports.handler()});
    auto task = loop.spawn(blocking_task(reports, 20ms), "short");
    loop.run();
  }
  EXPECT_TRUE(reports.take().empty());
}

TEST(Stall, ALoopBusyWithShortStepsIsNotStalled) {
  Reports reports;
  {
    tide::Loop loop({.stall_threshold = 50ms, .on_stall = reports.handler()});
    // 300 ms of work in 1 ms steps, handing the loop over between them.
    auto busy = loop.spawn([]() -> tide::Task<void> {
      const auto until = std::chrono::steady_clock::now() + 300ms;
      while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(1ms);
        co_await tide::yield_now();
      }
    }());
    loop.run();
  }
  EXPECT_TRUE(reports.take().empty());
}

TEST(Stall, ANegativeThresholdIsRefused) {
  EXPECT_THROW(tide::Loop({.stall_threshold = -1ms}), std::invalid_argument);
}

TEST(Stall, TheDefaultReportGoesToStderr) {
  tide::testing::CapturedStderr captured;
  Reports reports;
  {
    tide::Loop loop({.stall_threshold = 100ms});
    auto task = loop.spawn(blocking_task(reports, 300ms), "blocker");
    loop.run();
  }
  const std::string text = captured.text();
  EXPECT_EQ(tide::testing::count_of(text, "tide: stall: task #1 'blocker' has held the loop"), 1)
      << text;
  EXPECT_EQ(tide::testing::count_of(text, "tide: stall over: task #1 'blocker'"), 1) << text;
}

}  // namespace
