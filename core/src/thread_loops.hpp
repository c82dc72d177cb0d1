#pragma once

#include <memory>
#include <mutex>
#include <vector>

namespace tide::detail {

class LoopCore;

/// The loops running on one thread, so that closing an fd there can tell each of them (see
/// close_fd). A loop joins the list of the thread that runs it, when it first runs. The list is
/// shared by that thread and by every loop in it, so a loop destroyed on another thread, or
/// after its thread has exited, still leaves it safely. The mutex is only ever contended by
/// such a cross-thread destruction.
class ThreadLoops {
 public:
  /// This thread's list, created on first use.
  static std::shared_ptr<ThreadLoops> of_this_thread();

  void add(LoopCore& loop);
  void remove(LoopCore& loop) noexcept;
  /// Tells every loop in the list that `fd` is about to be closed.
  void forget_fd(int fd) noexcept;

 private:
  std::mutex mutex_;
  std::vector<LoopCore*> loops_;  // guarded by mutex_
};

}  // namespace tide::detail
