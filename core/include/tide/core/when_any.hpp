#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/child_set.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// Runs the awaitables concurrently (each as a task of its own); the first to complete wins and
/// the others are cancelled. Returns once all have finished: a variant whose index is the
/// winner's position (`void` results appear as `detail::Nothing`), or the winner's exception.
/// A loser that completed in the same tick as the winner has its result dropped.
/// Cancellation: cancels every child, waits for them, then raises `Cancelled`.
template <class... Awaitables>
[[nodiscard]] auto when_any(Awaitables&&... awaitables)
    -> Task<std::variant<detail::non_void_t<detail::await_result_t<Awaitables>>...>> {
  using Result = std::variant<detail::non_void_t<detail::await_result_t<Awaitables>>...>;
  return [](auto... tasks) -> Task<Result> {
    auto& loop = detail::current_core("tide::when_any");
    std::tuple<std::optional<detail::non_void_t<detail::await_result_t<Awaitables>>>...> slots;
    detail::ChildSet set(detail::ChildSet::Policy::any);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (set.spawn(loop, detail::store_result(std::move(tasks), std::get<I>(slots)), I), ...);
    }
    (std::index_sequence_for<Awaitables...>{});
    co_await set.join();
    std::optional<Result> result;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((static_cast<long>(I) == set.winner()
            ? void(result.emplace(std::in_place_index<I>, std::move(*std::get<I>(slots))))
            : void()),
       ...);
    }
    (std::index_sequence_for<Awaitables...>{});
    co_return std::move(*result);
  }(detail::as_task(std::forward<Awaitables>(awaitables))...);
}

/// Runs every task concurrently; returns the winner's index and value (just the index for
/// `Task<void>`). Failure and cancellation as the variadic form. An empty vector is a
/// UsageError (nothing could ever win).
template <class T>
[[nodiscard]] Task<std::conditional_t<std::is_void_v<T>, std::size_t, std::pair<std::size_t, T>>>
when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw UsageError("tide::when_any: no tasks given, so none can complete");
  auto& loop = detail::current_core("tide::when_any");
  std::vector<std::optional<detail::non_void_t<T>>> slots(tasks.size());
  detail::ChildSet set(detail::ChildSet::Policy::any);
  for (std::size_t i = 0; i < tasks.size(); ++i)
    set.spawn(loop, detail::store_result(std::move(tasks[i]), slots[i]), i);
  co_await set.join();
  auto winner = static_cast<std::size_t>(set.winner());
  if constexpr (std::is_void_v<T>)
    co_return winner;
  else
    co_return std::pair<std::size_t, T>(winner, std::move(*slots[winner]));
}

}  // namespace tide
