// Every awaitable of the sync and IPC tests is checked from a task (co_await) and from a fibre
// (tide::await): a typed test gets a Style whose `start(make)` runs `make()`'s awaitable as a task
// or inside a fibre, and hands back something the test can co_await for the result.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include <tide/core/await.hpp>
#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "settle.hpp"

namespace tide::testing {

struct Tasks {
  template <class Make>
  static auto start(Make make) {
    using R = detail::await_result_t<std::invoke_result_t<Make&>>;
    return tide::spawn([](Make m) -> Task<R> { co_return co_await m(); }(std::move(make)));
  }
  template <class Handle>
  static void stop(Handle& party) {
    party.cancel();
  }
};

struct Fibres {
  template <class Make>
  static auto start(Make make) {
    using R = detail::await_result_t<std::invoke_result_t<Make&>>;
    return tide::spawn_fiber([m = std::move(make)]() mutable -> R { return tide::await(m()); });
  }
  template <class Handle>
  static void stop(Handle& party) {
    party.kill();
  }
};

struct StyleNames {
  template <class Style>
  static std::string GetName(int) {
    return std::is_same_v<Style, Tasks> ? "Task" : "Fibre";
  }
};

}  // namespace tide::testing
