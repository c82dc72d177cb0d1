#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include <tide/sync/detail/basic_queue.hpp>

namespace tide {

/// A queue between tasks and fibres on one loop that hands out the *smallest* item first by
/// `Compare` (like Python's heap-based `asyncio.PriorityQueue` / `queue.PriorityQueue`):
///
///     tide::PriorityQueue<std::pair<int, std::string>> work;
///     co_await work.put({10, "later"});
///     co_await work.put({0, "urgent"});
///     auto [priority, what] = co_await work.get();  // {0, "urgent"}
///
/// Items that compare equal come out in no particular order (a binary heap is not stable):
/// add a sequence number to the key when order among equals matters.
/// Everything else is as for `tide::Queue` (the same implementation over other storage):
/// waiting putters and getters are served in the order they started waiting, items are
/// handed over before the waiter resumes, `task_done`/`join`, `close`. An item handed to a
/// getter that is destroyed before it resumes goes back into the heap.
/// Thread safety: one loop; using it from another thread throws UsageError.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::HeapStorage<T, Compare>> {
 public:
  /// `maxsize` bounds the items waiting in the queue; 0 (the default) means unbounded.
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : detail::BasicQueue<T, detail::HeapStorage<T, Compare>>(
            maxsize, detail::HeapStorage<T, Compare>(std::move(compare))) {}
};

}  // namespace tide
