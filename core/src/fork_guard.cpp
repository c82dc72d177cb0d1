#include "core/src/fork_guard.hpp"

#include <pthread.h>
#include <unistd.h>

#include <mutex>
#include <string>

#include <tide/core/errors.hpp>

namespace tide::detail {

// Defined next to the thread-local state each forgets (loop.cpp, thread_loops.cpp,
// fiber_job.cpp): they only reset pointers, which is safe in a child whatever its parent's
// other threads were doing at the fork.
void forget_running_loop_after_fork() noexcept;
void forget_thread_loops_after_fork() noexcept;
void forget_running_fiber_after_fork() noexcept;

namespace {
void on_fork_child() noexcept {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
  forget_running_loop_after_fork();
  forget_thread_loops_after_fork();
  forget_running_fiber_after_fork();
}
}  // namespace

void watch_forks() noexcept {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, &on_fork_child); });
}

void throw_inherited(const char* what) {
  throw UsageError(std::string(what) +
                   ": this loop was inherited through fork() and belongs to the parent process "
                   "(its io_uring ring and epoll set are shared with the parent's); make a new "
                   "tide::Loop in the child (process " +
                   std::to_string(::getpid()) + ")");
}

}  // namespace tide::detail
