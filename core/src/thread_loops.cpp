#include "core/src/thread_loops.hpp"

#include <unistd.h>

#include <algorithm>
#include <new>

#include <tide/core/detail/loop_core.hpp>

namespace tide::detail {

namespace {
thread_local std::shared_ptr<ThreadLoops> t_loops;
}

std::shared_ptr<ThreadLoops> ThreadLoops::of_this_thread() {
  if (!t_loops) t_loops = std::make_shared<ThreadLoops>();
  return t_loops;
}

void ThreadLoops::add(LoopCore& loop) {
  std::lock_guard lock(mutex_);
  loops_.push_back(&loop);
}

void ThreadLoops::remove(LoopCore& loop) noexcept {
  std::lock_guard lock(mutex_);
  std::erase(loops_, &loop);
}

void ThreadLoops::forget_fd(int fd) noexcept {
  std::lock_guard lock(mutex_);
  for (LoopCore* loop : loops_)
    loop->forget_fd(fd);
}

void forget_thread_loops_after_fork() noexcept {
  // The list is the parent's: leave its memory alone (no destructor, no lock) and start empty.
  new (&t_loops) std::shared_ptr<ThreadLoops>();
}

void close_fd(int fd) noexcept {
  // A thread that never ran a loop has no list: nothing can be watching the fd there.
  if (t_loops) t_loops->forget_fd(fd);
  ::close(fd);
}

}  // namespace tide::detail
