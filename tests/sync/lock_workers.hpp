// What the lock tests share: each scenario starts its workers as tasks or as fibres, with the
// same checks either way, and synchronises on the loop's turns, never on sleeps.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "test_loop.hpp"

namespace tide::testing {

/// How a scenario's workers run: as tasks (`co_await`) or as fibres (`tide::await`).
enum class Style { task, fibre };

/// A started task or fibre, joined and cancelled alike whichever it is.
class Worker {
 public:
  explicit Worker(JoinHandle<void> task) noexcept : task_(std::move(task)) {}
  explicit Worker(Fiber<void> fibre) noexcept : fibre_(std::move(fibre)) {}

  /// Cancels the task, or kills the fibre.
  void cancel() noexcept {
    if (task_.valid())
      task_.cancel();
    else
      fibre_.kill();
  }
  [[nodiscard]] bool done() const noexcept { return task_.valid() ? task_.done() : fibre_.done(); }
  /// Waits for it; rethrows what ended it (a killed fibre: FiberExit, a kind of Cancelled).
  Task<void> join() {
    if (task_.valid())
      co_await task_;
    else
      co_await fibre_;
  }

 private:
  JoinHandle<void> task_;
  Fiber<void> fibre_;
};

/// Starts `as_task()` (a coroutine) as a task, or `as_fibre` as a fibre, by `style`.
inline Worker start(Style style, const std::function<Task<void>()>& as_task,
                    std::function<void()> as_fibre) {
  if (style == Style::task) return Worker(tide::spawn(as_task()));
  return Worker(tide::spawn_fiber(std::move(as_fibre)));
}

/// Yields the calling task until `done()` holds: the loop's turns let every other task and
/// fibre run meanwhile. Fails (and gives up) if that takes more than `turns` turns.
inline Task<void> turns_until(const std::function<bool()>& done, int turns = 100) {
  for (int i = 0; !done(); ++i) {
    if (i == turns) {
      ADD_FAILURE() << "the condition did not hold within " << turns << " turns of the loop";
      co_return;
    }
    co_await tide::yield_now();
  }
}

/// Lets every started task and fibre run until it parks (a few turns of the loop).
inline Task<void> settle() {
  for (int i = 0; i < 4; ++i)
    co_await tide::yield_now();
}

}  // namespace tide::testing

/// Defines `Suite.NameFromTasks` and `Suite.NameFromFibres`: each runs `scenario(style)` (a
/// `Task<void>`) on a fresh loop that must be left clean.
#define TIDE_TEST_BOTH_STYLES(Suite, Name, scenario)                                \
  TEST(Suite, Name##FromTasks) {                                                    \
    tide::testing::run_clean([] { return scenario(tide::testing::Style::task); });  \
  }                                                                                 \
  TEST(Suite, Name##FromFibres) {                                                   \
    tide::testing::run_clean([] { return scenario(tide::testing::Style::fibre); }); \
  }
