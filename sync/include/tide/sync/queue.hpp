#pragma once

#include <cstddef>

#include <tide/sync/detail/basic_queue.hpp>

namespace tide {

/// A first-in first-out queue between tasks and fibres on one loop, like Python's
/// `asyncio.Queue` / `queue.Queue`:
///
///     tide::Queue<Job> jobs(100);                  // at most 100 waiting; 0: unbounded
///     // a producer: co_await jobs.put(job);        (a fibre: tide::await(jobs.put(job));)
///     // a worker:   Job job = co_await jobs.get(); ...; jobs.task_done();
///     // the boss:   co_await jobs.join();          (every job put has been done)
///     //             jobs.close();                  (workers get QueueClosed once it is empty)
///
/// `put` waits while the queue is full, `get` while it is empty; waiting putters and getters
/// are served in the order they started waiting, and an item is handed over before its
/// getter resumes (a put that finds a getter waiting gives it the item directly; a get on a
/// full queue lets the first waiting putter's item in). Non-waiting twins: `try_put`,
/// `try_get`; bounded waits: `put_for`, `get_for`; any wait also works under
/// `tide::timeout`, and a cancelled or timed-out wait never takes an item with it.
/// `T` must be movable without throwing (move-only types are fine).
/// Thread safety: one loop; using it from another thread throws UsageError (cross threads
/// with `tide::ThreadQueue` or `Loop::post`).
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoStorage<T>> {
 public:
  /// `maxsize` bounds the items waiting in the queue; 0 (the default) means unbounded.
  explicit Queue(std::size_t maxsize = 0)
      : detail::BasicQueue<T, detail::FifoStorage<T>>(maxsize) {}
};

}  // namespace tide
