#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace tide::testing {

/// The kernel's id of the calling thread, for `wait_until_blocked`.
inline pid_t this_thread_id() noexcept {
  return static_cast<pid_t>(::syscall(SYS_gettid));
}

/// Whether thread `tid` of this process sleeps in the kernel: state S or D in
/// /proc/self/task/<tid>/stat (the state follows the command name, which is in parentheses
/// and may itself contain spaces or parentheses, hence the search from the end).
inline bool is_blocked(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state == 'S' || state == 'D';
}

/// Returns once thread `tid` of this process sleeps in the kernel: a test that must act while
/// another thread waits (a loop in its backend, a destructor in a join) waits for that event,
/// not for a time that "should be long enough". Yields the CPU between looks.
inline void wait_until_blocked(pid_t tid) {
  while (!is_blocked(tid))
    std::this_thread::yield();
}

}  // namespace tide::testing
