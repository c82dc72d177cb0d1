#include "core/src/thread_loops.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include <tide/core/detail/loop_core.hpp>

namespace tide::detail {

namespace {
thread_local std::vector<LoopCore*> t_loops;
}

void thread_loops_add(LoopCore& loop) {
  t_loops.push_back(&loop);
}

void thread_loops_remove(LoopCore& loop) noexcept {
  auto it = std::find(t_loops.begin(), t_loops.end(), &loop);
  if (it != t_loops.end()) t_loops.erase(it);
}

void close_fd_on_this_thread(int fd) noexcept {
  for (LoopCore* loop : t_loops)
    loop->forget_fd(fd);
  ::close(fd);
}

}  // namespace tide::detail
