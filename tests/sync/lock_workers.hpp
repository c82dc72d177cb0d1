// What the lock tests share: each scenario starts its workers as tasks or as fibres, with the
// same checks either way, and synchronises on the loop's turns, never on sleeps. Built on
// sides.hpp (Party, turns_until), which the other sync tests use.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "sides.hpp"
#include "test_loop.hpp"

namespace tide::testing {

/// A started task or fibre, joined and cancelled alike whichever it is.
using Worker = Party;

/// Starts `as_task()` (a coroutine) as a task, or `as_fibre` as a fibre, by `style`.
inline Worker start(Style style, const std::function<Task<void>()>& as_task,
                    std::function<void()> as_fibre) {
  if (style == Style::task) return Worker(tide::spawn(as_task()));
  return Worker(tide::spawn_fiber(std::move(as_fibre)));
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
