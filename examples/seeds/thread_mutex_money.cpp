// Seed: 002 (Python-并发编程), "线程互斥锁": 100 threads each read money, sleep 0.1 s, and
// write money - 1, holding a Lock throughout, so main prints 0. Threads become tasks and the
// Lock a tide::Mutex. Without the lock every task reads 100 before any writes back, and the
// result is 99: on one loop a task is interrupted only where it awaits (the sleep), which is
// exactly where the seed's threads lose each other's updates.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/mutex.hpp>

using namespace std::chrono_literals;

namespace {

int money = 100;
tide::Mutex mutex;

// [guide:thread-mutex-money]
tide::Task<void> task() {
  auto guard = co_await mutex.scoped_lock();  // mutex.acquire() ... mutex.release()
  const int tmp = money;
  co_await tide::sleep_for(1ms);  // time.sleep(0.1)
  money = tmp - 1;
}
// [guide-end]

tide::Task<void> task_without_lock() {
  const int tmp = money;
  co_await tide::sleep_for(1ms);
  money = tmp - 1;
}

template <class Task>
tide::Task<void> run_100(Task body) {
  std::vector<tide::JoinHandle<void>> t_list;
  for (int i = 0; i < 100; ++i)
    t_list.push_back(tide::spawn(body()));
  for (auto& t : t_list)
    co_await t;
}

tide::Task<void> main_task() {
  co_await run_100(task);
  std::printf("%d\n", money);
  money = 100;
  co_await run_100(task_without_lock);
  std::printf("without the lock: %d\n", money);
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// 0
// without the lock: 99
