// Seed: 002 (Python-并发编程), "线程间数据共享": a thread sets the global money from 100 to 200
// and main, after join(), prints 200: threads share memory (processes do not: 进程之间数据相互
// 隔离 prints 100). Here the thread is a real one from the loop's thread pool (tide::to_thread).
#include <cstdio>

#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>

namespace {

int money = 100;

void task() {
  money = 200;  // global money; money = 200
}

tide::Task<void> main_task() {
  // [guide:shared-money]
  co_await tide::to_thread(task);  // t.start(); t.join()
  std::printf("%d\n", money);
  // [guide-end]
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// 200
