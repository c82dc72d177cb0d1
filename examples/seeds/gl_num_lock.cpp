// Seed: 003, "线程锁示例" (with threading.RLock): each of ten
// threads takes the lock, sleeps a second, adds one to gl_num, prints it and releases, so the
// threads go one at a time: 1..10, a second apart (Python 2's print statement). Threads become
// tasks and the RLock a tide::RecursiveMutex; a second becomes 5 ms. The program checks that
// the lock made them take turns: ten sleeps one after another, not at once.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/recursive_mutex.hpp>

using namespace std::chrono_literals;

namespace {

int gl_num = 0;
tide::RecursiveMutex lock;  // lock = threading.RLock()

// [guide:gl-num-lock]
tide::Task<void> show(int /*arg*/) {
  co_await lock.lock();  // lock.acquire()
  co_await tide::sleep_for(5ms);
  gl_num += 1;
  std::printf("%d\n", gl_num);
  lock.unlock();  // lock.release()
}
// [guide-end]

tide::Task<void> main_task() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 10; ++i)
    threads.push_back(tide::spawn(show(i)));
  std::printf("main thread stop\n");
  for (auto& t : threads)
    co_await t;
  std::printf("took at least ten sleeps: %s\n",
              std::chrono::steady_clock::now() - start >= 50ms ? "yes" : "no");
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
// took at least ten sleeps: yes
