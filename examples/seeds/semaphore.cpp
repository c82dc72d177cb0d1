// Seed: 002 (Python-并发编程), "信号量": Semaphore(5) lets at most five of twenty threads in
// at once; each prints "demo<i>号 正在使用" and holds its permit for a random 1-5 s. Threads
// become tasks and the sleep a fixed 10 ms, so they go in five rounds of five, in order (the
// permits are handed to waiters FIFO). Each line also says how many are inside.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/semaphore.hpp>

using namespace std::chrono_literals;

namespace {

tide::Semaphore sp(5);
int inside = 0;

// [guide:semaphore]
tide::Task<void> task(std::string name) {
  co_await sp.acquire();  // sp.acquire()
  ++inside;
  std::printf("%s 正在使用 (%d inside)\n", name.c_str(), inside);
  co_await tide::sleep_for(10ms);  // time.sleep(random.randint(1, 5))
  --inside;
  sp.release();  // sp.release()
}
// [guide-end]

tide::Task<void> main_task() {
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 20; ++i)
    threads.push_back(tide::spawn(task("demo" + std::to_string(i) + "号")));
  for (auto& t : threads)
    co_await t;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// demo0号 正在使用 (1 inside)
// demo1号 正在使用 (2 inside)
// demo2号 正在使用 (3 inside)
// demo3号 正在使用 (4 inside)
// demo4号 正在使用 (5 inside)
// demo5号 正在使用 (1 inside)
// demo6号 正在使用 (2 inside)
// demo7号 正在使用 (3 inside)
// demo8号 正在使用 (4 inside)
// demo9号 正在使用 (5 inside)
// demo10号 正在使用 (1 inside)
// demo11号 正在使用 (2 inside)
// demo12号 正在使用 (3 inside)
// demo13号 正在使用 (4 inside)
// demo14号 正在使用 (5 inside)
// demo15号 正在使用 (1 inside)
// demo16号 正在使用 (2 inside)
// demo17号 正在使用 (3 inside)
// demo18号 正在使用 (4 inside)
// demo19号 正在使用 (5 inside)
