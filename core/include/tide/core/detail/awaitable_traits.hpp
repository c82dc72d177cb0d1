#pragma once

#include <type_traits>
#include <utility>

#include <tide/core/task.hpp>

namespace tide::detail {

/// The awaiter `co_await a` would use: `a.operator co_await()`, a free `operator co_await(a)`,
/// or `a` itself.
template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); })
    return std::forward<A>(a).operator co_await();
  else if constexpr (requires { operator co_await(std::forward<A>(a)); })
    return operator co_await(std::forward<A>(a));
  else
    return std::forward<A>(a);
}

/// The type `co_await std::declval<A>()` produces.
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());

/// `void` becomes `std::monostate`-like placeholder in tuples and variants.
struct Nothing {
  friend bool operator==(Nothing, Nothing) noexcept { return true; }
};
template <class T>
using non_void_t = std::conditional_t<std::is_void_v<T>, Nothing, T>;

template <class A>
Task<await_result_t<A>> await_as_task(A awaitable) {
  co_return co_await std::move(awaitable);
}

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<Task<T>> = true;

/// Any awaitable as a Task (a Task passes through unchanged).
template <class A>
auto as_task(A&& awaitable) {
  using Plain = std::remove_cvref_t<A>;
  if constexpr (is_task_v<Plain>)
    return Plain(std::forward<A>(awaitable));
  else
    return await_as_task<Plain>(Plain(std::forward<A>(awaitable)));
}

/// Runs `task` and stores its value (or marks completion) in `slot`.
template <class T, class Slot>
Task<void> store_result(Task<T> task, Slot& slot) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task);
    slot.emplace();
  } else {
    slot.emplace(co_await std::move(task));
  }
}

}  // namespace tide::detail
