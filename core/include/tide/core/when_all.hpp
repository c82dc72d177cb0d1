#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/child_set.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// Runs the awaitables concurrently (each as a task of its own) and returns all their results,
/// in argument order; `void` results appear as `detail::Nothing`. The first failure cancels the
/// others and is rethrown once all have finished.
/// Cancellation: cancels every child, waits for them, then raises `Cancelled`.
template <class... Awaitables>
[[nodiscard]] auto when_all(Awaitables&&... awaitables)
    -> Task<std::tuple<detail::non_void_t<detail::await_result_t<Awaitables>>...>> {
  using Result = std::tuple<detail::non_void_t<detail::await_result_t<Awaitables>>...>;
  return [](auto... tasks) -> Task<Result> {
    auto& loop = detail::current_core("tide::when_all");
    std::tuple<std::optional<detail::non_void_t<detail::await_result_t<Awaitables>>>...> slots;
    detail::ChildSet set(detail::ChildSet::Policy::all);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (set.spawn(loop, detail::store_result(std::move(tasks), std::get<I>(slots)), I), ...);
    }
    (std::index_sequence_for<Awaitables...>{});
    co_await set.join();
    co_return std::apply(
        [](auto&... slot) {
          if ((!slot || ...)) throw Cancelled();  // a child ended cancelled on its own
          return Result(std::move(*slot)...);
        },
        slots);
  }(detail::as_task(std::forward<Awaitables>(awaitables))...);
}

/// Runs every task concurrently and returns their results in order (`Task<void>` for void).
/// Failure and cancellation as the variadic form.
template <class T>
[[nodiscard]] Task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> when_all(
    std::vector<Task<T>> tasks) {
  auto& loop = detail::current_core("tide::when_all");
  std::vector<std::optional<detail::non_void_t<T>>> slots(tasks.size());
  detail::ChildSet set(detail::ChildSet::Policy::all);
  for (std::size_t i = 0; i < tasks.size(); ++i)
    set.spawn(loop, detail::store_result(std::move(tasks[i]), slots[i]), i);
  co_await set.join();
  for (auto& slot : slots)
    if (!slot) throw Cancelled();
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> results;
    results.reserve(slots.size());
    for (auto& slot : slots)
      results.push_back(std::move(*slot));
    co_return results;
  }
}

}  // namespace tide
