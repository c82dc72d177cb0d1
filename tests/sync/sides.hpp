// What the sync tests share: every behaviour is checked once with tasks (co_await) and once
// with fibres (tide::await). A scenario is written once, as a conductor task, against a Side;
// the Side starts the parties that wait (tasks or fibres), and the conductor joins or cancels
// them through one Party type.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <type_traits>
#include <utility>
#include <variant>

#include <tide/core/await.hpp>
#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "settle.hpp"

namespace tide::testing {

/// How a scenario's parties run: as tasks (`co_await`) or as fibres (`tide::await`).
enum class Style { task, fibre };

/// A task or a fibre taking part in a scenario.
class Party {
 public:
  explicit Party(JoinHandle<void> task) : it_(std::move(task)) {}
  explicit Party(Fiber<void> fibre) : it_(std::move(fibre)) {}

  /// Cancels the task, or kills the fibre.
  void cancel() noexcept {
    if (auto* task = std::get_if<JoinHandle<void>>(&it_))
      task->cancel();
    else
      std::get<Fiber<void>>(it_).kill();
  }
  /// Lets it run on unowned (for tests that destroy its loop under it).
  void detach() noexcept {
    std::visit([](auto& p) { p.detach(); }, it_);
  }
  [[nodiscard]] bool done() const noexcept {
    return std::visit([](const auto& p) { return p.done(); }, it_);
  }
  /// Waits for it; rethrows what ended it (Cancelled, or FiberExit, which is a Cancelled).
  Task<void> join() {
    if (auto* task = std::get_if<JoinHandle<void>>(&it_))
      co_await *task;
    else
      co_await std::get<Fiber<void>>(it_);
  }

 private:
  std::variant<JoinHandle<void>, Fiber<void>> it_;
};

// A party's script is a list of steps, each a pair: `make()` gives what to await, `then`
// takes its result (or nothing, for void). Steps run in order; an exception ends the party.

/// Parties that are tasks: `then(co_await make())`.
struct TaskSide {
  template <class Make, class Then, class... Rest>
  static Task<void> run(Make make, Then then, Rest... rest) {
    using R = detail::await_result_t<std::invoke_result_t<Make&>>;
    if constexpr (std::is_void_v<R>) {
      co_await make();
      then();
    } else {
      then(co_await make());
    }
    if constexpr (sizeof...(Rest) > 0) co_await run(std::move(rest)...);
  }
  template <class... Steps>
  static Party start(Steps... steps) {
    return Party(tide::spawn(run(std::move(steps)...)));
  }
};

/// Parties that are fibres: `then(tide::await(make()))`.
struct FibreSide {
  template <class Make, class Then, class... Rest>
  static void run(Make& make, Then& then, Rest&... rest) {
    using R = detail::await_result_t<std::invoke_result_t<Make&>>;
    if constexpr (std::is_void_v<R>)
      tide::await(make()), then();
    else
      then(tide::await(make()));
    if constexpr (sizeof...(Rest) > 0) run(rest...);
  }
  template <class... Steps>
  static Party start(Steps... steps) {
    return Party(tide::spawn_fiber([=]() mutable { run(steps...); }));
  }
};

/// Names the typed test instances "Tasks" and "Fibres".
struct SideName {
  template <class Side>
  static std::string GetName(int) {
    return std::is_same_v<Side, TaskSide> ? "Tasks" : "Fibres";
  }
};
using BothSides = ::testing::Types<TaskSide, FibreSide>;

/// A `then` that does nothing.
inline constexpr auto ignore = [](auto&&...) {};

/// Lets the loop turn until `done()` holds (every party started has parked, say); fails the
/// test if it does not within `turns` turns. Synchronises on the loop's turns, not on time.
template <class Pred>
Task<void> turns_until(Pred done, int turns = 100) {
  for (int i = 0; i < turns; ++i) {
    if (done()) co_return;
    co_await tide::yield_now();
  }
  ADD_FAILURE() << "the condition did not hold after " << turns << " turns";
}

/// Awaitable that lets the loop turn `n` times.
inline Task<void> turns(int n) {
  for (int i = 0; i < n; ++i)
    co_await tide::yield_now();
}

}  // namespace tide::testing
