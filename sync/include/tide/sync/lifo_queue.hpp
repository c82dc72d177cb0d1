#pragma once

#include <cstddef>

#include <tide/sync/detail/basic_queue.hpp>

namespace tide {

/// A last-in first-out queue (a stack) between tasks and fibres on one loop, like Python's
/// `asyncio.LifoQueue` / `queue.LifoQueue`: `get` takes the item put most recently.
///
///     tide::LifoQueue<int> stack;
///     co_await stack.put(1);
///     co_await stack.put(2);
///     int top = co_await stack.get();               // 2
///
/// Everything else is as for `tide::Queue` (the same implementation over other storage):
/// waiting putters and getters are served in the order they started waiting, items are
/// handed over before the waiter resumes, `task_done`/`join`, `close`. An item handed to a
/// getter that is destroyed before it resumes goes back on top.
/// Thread safety: one loop; using it from another thread throws UsageError.
template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoStorage<T>> {
 public:
  /// `maxsize` bounds the items waiting in the queue; 0 (the default) means unbounded.
  explicit LifoQueue(std::size_t maxsize = 0)
      : detail::BasicQueue<T, detail::LifoStorage<T>>(maxsize) {}
};

}  // namespace tide
