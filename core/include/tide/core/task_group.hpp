#pragma once

#include <cstddef>
#include <utility>

#include <tide/core/detail/child_set.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// A nursery: tasks spawned into the group run concurrently, and `co_await group.join()` waits
/// for all of them. The first child to fail (throw anything but `Cancelled`) cancels the others;
/// `join()` rethrows that failure once every child has finished.
///
///     tide::TaskGroup group;
///     for (auto& url : urls) group.spawn(fetch(url));
///     co_await group.join();
///
/// Cancellation: cancelling the task awaiting `join()` cancels every child and keeps waiting
/// until all have finished; then `Cancelled` is raised.
/// Destroying a group whose children still run cancels them (they finish unowned): join it.
/// Thread safety: loop thread only.
class TaskGroup {
 public:
  TaskGroup() noexcept = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts `task` as a child of the group on the current loop; its value is discarded (return
  /// results through state the task references). A group that is failing or being cancelled
  /// starts the child already cancelled.
  template <class T>
  void spawn(Task<T> task, SourceSite where = SourceSite::here()) {
    set_.spawn(detail::current_core("tide::TaskGroup::spawn"), discard(std::move(task)), count_++,
               where);
  }

  /// Waits until every child has finished; rethrows the first failure. See class comment.
  [[nodiscard]] detail::ChildSet::Join join() noexcept { return set_.join(); }

  /// Cancels every running child.
  void cancel() noexcept { set_.cancel_all(); }

  /// Children still running.
  [[nodiscard]] std::size_t running() const noexcept { return set_.running(); }

 private:
  template <class T>
  static Task<void> discard(Task<T> task) {
    co_await std::move(task);
  }

  detail::ChildSet set_{detail::ChildSet::Policy::all};
  std::size_t count_ = 0;
};

}  // namespace tide
