// Seed: 003, "线程锁示例" (without the lock): ten threads sleep a
// second, then do `gl_num += 1; print gl_num` with no lock (Python 2's print statement). The
// seed warns that threads may interleave inside `+=` and garble the count. As tasks on one
// loop they cannot: a task gives way only where it awaits, and there is no await between the
// read and the write, so the count is always 1..10. (The loss does happen to tasks that await
// between read and write: thread_mutex_money.cpp; and to real threads: thread_lock_pi.cpp.)
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

int gl_num = 0;

// [guide:gl-num]
tide::Task<void> show(int /*arg*/) {
  co_await tide::sleep_for(10ms);  // time.sleep(1)
  gl_num += 1;                     // no await in between: no other task runs here
  std::printf("%d\n", gl_num);
}
// [guide-end]

tide::Task<void> main_task() {
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 10; ++i)
    threads.push_back(tide::spawn(show(i)));
  std::printf("main thread stop\n");
  for (auto& t : threads)
    co_await t;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// main thread stop
// 1
// 2
// 3
// 4
// 5
// 6
// 7
// 8
// 9
// 10
