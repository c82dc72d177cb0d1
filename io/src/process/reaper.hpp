#pragma once

#include <sys/types.h>

#include <tide/io/fd.hpp>

namespace tide::io::detail {

/// Takes a child whose Process was destroyed before it ended: it is reaped as soon as it ends
/// (by a task on this thread's running loop, when there is one) or else at the next
/// spawn/start, so no zombie outlives the parent's interest in it.
void adopt_orphan(pid_t pid, Fd pidfd);

/// Reaps the adopted children that have ended (non-blocking).
void reap_orphans() noexcept;

/// waitid on the pidfd (or on the pid where there is none), non-blocking: true once the child
/// has ended (its status in `code` / `signal`), or `lost` if someone else collected it.
bool reap_child(pid_t pid, int pidfd, int& code, int& signal, bool& lost);

/// pidfd_open(pid); -1 (errno set) where the kernel has no pidfds (before Linux 5.3, ENOSYS),
/// a filter refuses them, or the child is already gone (ESRCH).
int open_pidfd(pid_t pid) noexcept;

}  // namespace tide::io::detail
