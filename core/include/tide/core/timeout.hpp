#pragma once

#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/child_set.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// Awaits `awaitable` (run as a task of its own) for at most `limit`. When time is up the
/// operation is cancelled, and once it has finished `TimeoutError` is raised. If it completed
/// in the same tick the deadline passed, its result is returned instead: a timeout and a
/// completion never both happen. A negative limit times out at the next iteration unless the
/// operation completes first; a limit past the clock's range never times out.
/// Cancellation: cancels the operation, waits for it, then raises `Cancelled`.
template <class Rep, class Period, class Awaitable>
[[nodiscard]] auto timeout(std::chrono::duration<Rep, Period> limit, Awaitable&& awaitable)
    -> Task<detail::await_result_t<Awaitable>> {
  using T = detail::await_result_t<Awaitable>;
  return [](std::chrono::nanoseconds budget, Task<T> task) -> Task<T> {
    auto& loop = detail::current_core("tide::timeout");
    std::optional<detail::non_void_t<T>> slot;
    detail::ChildSet set(detail::ChildSet::Policy::any);
    set.spawn(loop, detail::store_result(std::move(task), slot), 0);
    set.arm_deadline(loop, detail::deadline_after(loop.now(), budget));
    co_await set.join();
    if constexpr (!std::is_void_v<T>) co_return std::move(*slot);
  }(detail::clamp_to_nanoseconds(limit), detail::as_task(std::forward<Awaitable>(awaitable)));
}

}  // namespace tide
