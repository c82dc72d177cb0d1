#include <tide/core/run.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

namespace {

using namespace std::chrono_literals;
using tide::Task;

// Appends `what` to `log` when it goes out of scope.
struct Note {
  std::vector<std::string>* log;
  std::string what;
  ~Note() { log->push_back(what); }
};

TEST(Run, LeftoverTasksAndFibresAreCancelledAndUnwindBeforeRunReturns) {
  std::vector<std::string> log;
  int value = tide::run([](std::vector<std::string>& out) -> Task<int> {
    tide::spawn([](std::vector<std::string>& lines) -> Task<void> {
      Note note{&lines, "task destructor"};
      try {
        co_await tide::sleep_for(1h);
      } catch (const tide::Cancelled&) {
        lines.push_back("task saw Cancelled");
        throw;
      }
    }(out))
        .detach();
    tide::spawn_fiber([&out] {
      Note note{&out, "fibre destructor"};
      try {
        tide::sleep(1h);
      } catch (const tide::FiberExit&) {
        out.push_back("fibre saw FiberExit");
        throw;
      }
    }).detach();
    co_await tide::yield_now();  // both start and park
    co_return 42;
  }(log));
  EXPECT_EQ(value, 42);
  std::vector<std::string> expected{"task saw Cancelled", "task destructor", "fibre saw FiberExit",
                                    "fibre destructor"};
  std::sort(log.begin(), log.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(log, expected);
}

TEST(Run, CleanUpThatAwaitsAfterCancellationStillCompletes) {
  bool cleaned_up = false;
  tide::run([](bool& flag) -> Task<void> {
    tide::spawn([](bool& done) -> Task<void> {
      try {
        co_await tide::sleep_for(1h);
      } catch (const tide::Cancelled&) {
      }
      co_await tide::sleep_for(1ms);  // asynchronous clean-up, as a shutdown handler does
      done = true;
    }(flag))
        .detach();
    co_await tide::yield_now();
  }(cleaned_up));
  EXPECT_TRUE(cleaned_up);
}

TEST(Run, TheTasksExceptionStillComesOutAfterTheOthersUnwound) {
  bool unwound = false;
  EXPECT_THROW(tide::run([](bool& seen) -> Task<void> {
                 tide::spawn([](bool& flag) -> Task<void> {
                   try {
                     co_await tide::sleep_for(1h);
                   } catch (const tide::Cancelled&) {
                     flag = true;
                     throw;
                   }
                 }(seen))
                     .detach();
                 co_await tide::yield_now();
                 throw std::runtime_error("main failed");
               }(unwound)),
               std::runtime_error);
  EXPECT_TRUE(unwound);
}

}  // namespace
