// tide::current: the running task's or fibre's name and number, as Python's
// threading.current_thread() gives them, and nothing outside a task or fibre.
#include <tide/core/current.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/timer.hpp>

#include "test_loop.hpp"

namespace {

using tide::Task;

// Notes the name this task sees before and after each of its waits.
Task<void> note_names(std::vector<std::string>& seen) {
  for (int turn = 0; turn < 3; ++turn) {
    seen.emplace_back(tide::current::name());
    co_await tide::yield_now();
  }
}

Task<std::string> inner_name() {
  co_await tide::yield_now();
  co_return std::string(tide::current::name());
}

TEST(Current, EachTaskSeesItsOwnNameAcrossItsWaits) {
  tide::testing::run_clean([]() -> Task<void> {
    std::vector<std::string> first, second;
    auto a = tide::spawn(note_names(first), "Thread-1");
    auto b = tide::spawn(note_names(second), "Thread-2");
    co_await a;
    co_await b;
    EXPECT_EQ(first, std::vector<std::string>(3, "Thread-1"));
    EXPECT_EQ(second, std::vector<std::string>(3, "Thread-2"));
  });
}

TEST(Current, AnAwaitedTaskRunsAsPartOfItsCaller) {
  tide::testing::run_clean([]() -> Task<void> {
    auto outer =
        tide::spawn([]() -> Task<std::string> { co_return co_await inner_name(); }(), "caller");
    EXPECT_EQ(co_await outer, "caller");
  });
}

TEST(Current, NumbersAndDescriptionsAreTheDumps) {
  tide::Loop loop;
  std::uint64_t seen_id = 0;
  std::string seen_description;
  bool seen_fibre = true;
  auto worker = loop.spawn(
      [](std::uint64_t& id, std::string& description, bool& fibre) -> Task<void> {
        id = tide::current::id();
        description = tide::current::describe();
        fibre = tide::current::is_fibre();
        co_return;
      }(seen_id, seen_description, seen_fibre),
      "worker");
  loop.run();
  EXPECT_TRUE(worker.done());
  EXPECT_GT(seen_id, 0u);
  EXPECT_EQ(seen_description, "task #" + std::to_string(seen_id) + " 'worker'");
  EXPECT_FALSE(seen_fibre);
}

TEST(Current, AFibreKnowsItIsOneAndItsName) {
  tide::testing::run_clean([]() -> Task<void> {
    tide::FiberOptions options;
    options.name = "greeter";
    auto fibre = tide::spawn_fiber(options, [] {
      tide::sleep(std::chrono::milliseconds(1));
      return std::string(tide::current::name()) + (tide::current::is_fibre() ? " fibre" : "");
    });
    EXPECT_EQ(co_await fibre, "greeter fibre");
    EXPECT_FALSE(tide::current::is_fibre());  // the test's own task again
  });
}

TEST(Current, SetNameRenamesWhatTheDumpShows) {
  tide::Loop loop;
  auto renamed = loop.spawn([]() -> Task<void> {
    tide::current::set_name("MainThread");
    co_await tide::sleep_for(std::chrono::hours(1));
  }());
  loop.run_once(std::chrono::milliseconds(0));
  EXPECT_NE(loop.dump().find("'MainThread'"), std::string::npos) << loop.dump();
  renamed.cancel();
  loop.run();
  EXPECT_TRUE(renamed.done());
}

TEST(Current, OutsideATaskOrFibreThereIsNone) {
  EXPECT_EQ(tide::current::name(), "");
  EXPECT_EQ(tide::current::id(), 0u);
  EXPECT_FALSE(tide::current::is_fibre());
  EXPECT_EQ(tide::current::describe(), "no task or fibre");
  try {
    tide::current::set_name("nobody");
    ADD_FAILURE() << "set_name outside a task or fibre did not throw";
  } catch (const tide::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no task or fibre is running"), std::string::npos)
        << e.what();
  }
  // Timer and posted callbacks run on the loop, but belong to no task or fibre.
  tide::Loop loop;
  std::uint64_t in_timer = 99, in_post = 99;
  tide::Timer timer(loop);
  timer.start(std::chrono::milliseconds(0), [&] { in_timer = tide::current::id(); });
  loop.post([&] { in_post = tide::current::id(); });
  for (int turn = 0; turn < 100 && (in_timer == 99 || in_post == 99); ++turn)
    loop.run_once(std::chrono::milliseconds(10));
  EXPECT_EQ(in_timer, 0u);
  EXPECT_EQ(in_post, 0u);
}

}  // namespace
