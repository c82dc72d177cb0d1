#pragma once

#include <atomic>

namespace tide::detail {

/// How many times this process's line of descent has forked since tide was loaded: 0 in the
/// original process, +1 in each forked child (set by a pthread_atfork child handler). A loop,
/// an inbox or a thread pool records it when made; a mismatch means the object was inherited
/// through fork() and belongs to the parent: its io_uring ring and epoll set are shared with
/// the parent's, so the child must never drive it.
inline std::atomic<unsigned> fork_generation{0};

[[nodiscard]] inline bool inherited_through_fork(unsigned born) noexcept {
  return born != fork_generation.load(std::memory_order_relaxed);
}

/// Registers the fork handler (once per process; every Loop calls it). In the child, the
/// handler counts the fork and forgets the forking thread's tide state (the running loop, the
/// thread's list of loops, the running fibre), so the child starts clean and may make loops
/// of its own.
void watch_forks() noexcept;

/// The UsageError thrown when an inherited object is used; `what` names the operation.
[[noreturn]] void throw_inherited(const char* what);

}  // namespace tide::detail
