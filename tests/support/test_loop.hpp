#pragma once

#include <gtest/gtest.h>

#include <dirent.h>

#include <functional>
#include <utility>

#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

namespace tide::testing {

/// Open file descriptors of this process (entries of /proc/self/fd, minus the one used to
/// list them).
inline int open_fd_count() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    --count;
  }
  return count;
}

/// Runs `body()` as a task on a fresh loop (backend from TIDE_BACKEND, as every test uses) and
/// checks that it leaves nothing behind: once it returns, no other task is alive, no timer is
/// armed and no I/O is pending; once the loop is gone, no fd is left open.
template <class Body>
void run_clean(Body&& body, Loop::Options options = {}) {
  const int fds_before = open_fd_count();
  {
    Loop loop(std::move(options));
    loop.run_until_complete(std::forward<Body>(body)());
    auto stats = loop.stats();
    EXPECT_EQ(stats.tasks, 0u) << "tasks left running";
    EXPECT_EQ(stats.timers, 0u) << "timers left armed";
    EXPECT_EQ(stats.pending_io, 0u) << "I/O left pending";
  }
  EXPECT_EQ(open_fd_count(), fds_before) << "file descriptors leaked";
}

/// Counts live instances, to check that frames are destroyed.
struct LiveCounter {
  explicit LiveCounter(int& live) : live_(&live) { ++*live_; }
  LiveCounter(const LiveCounter&) = delete;
  LiveCounter& operator=(const LiveCounter&) = delete;
  ~LiveCounter() { --*live_; }
  int* live_;
};

}  // namespace tide::testing
