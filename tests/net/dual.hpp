// Every net test runs twice: once in a task (`co_await`) and once in a fibre (`tide::await`),
// from one text. A test file writes its scenarios in a `.inc` file with three words:
//   ASYNC(T)   the return type: Task<T> for tasks, T for fibres
//   AWAIT(x)   co_await x / tide::await(x)
//   RETURN(v)  co_return v / return v (RETURN() for void)
// and has it included twice (in namespaces in_tasks and in_fibres) by
//   #define DUAL_SCENARIOS "name_scenarios.inc"
//   #include "dual_scenarios.inc"
// DUAL_TEST(Suite, Name) then defines Suite.Name_Task and
// Suite.Name_Fibre, each on a fresh loop that must be left clean. gtest's ASSERT_* return
// from the function, which a coroutine cannot: scenarios use REQUIRE(condition) instead.
#pragma once

#include <gtest/gtest.h>

#include <tide/core/await.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "test_loop.hpp"

#define REQUIRE(condition)                    \
  if (!(condition)) {                         \
    ADD_FAILURE() << "required: " #condition; \
    RETURN();                                 \
  }

#define DUAL_TEST(suite, name)                                                                \
  TEST(suite, name##_Task) {                                                                  \
    tide::testing::run_clean([]() -> tide::Task<void> { co_await in_tasks::name(); });        \
  }                                                                                           \
  TEST(suite, name##_Fibre) {                                                                 \
    tide::testing::run_clean(                                                                 \
        []() -> tide::Task<void> { co_await tide::spawn_fiber([] { in_fibres::name(); }); }); \
  }
