// Seed: 003 (IO多路复用 ... python的进程), "进程池示例": a Pool(4) runs five long_time_task calls;
// tasks 0-3 start at once, task 4 when a worker is free. The seed's random sleep of up to
// 3 s is a fixed 10-40 ms here. Python's apply_async result may be dropped; a tide future
// without a callback may not (dropping it gives the call up), so they are kept until join.
// A worker runs the function as plain code, so it sleeps with std::this_thread::sleep_for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <tuple>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

using namespace std::chrono_literals;

void long_time_task(int name) {
  std::printf("Run task %d (%d)...\n", name, ::getpid());
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for((name % 4 + 1) * 10ms);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("Task %d runs %0.2f seconds.\n", name, took.count());
}

tide::Task<int> amain() {
  std::printf("Parent process %d.\n", ::getpid());
  // [guide:pool-long-time-task]
  tide::ProcessPool p({.workers = 4});
  std::vector<tide::PoolFuture<void>> tasks;
  for (int i = 0; i < 5; ++i)
    tasks.push_back(p.apply_async(long_time_task, std::tuple{i}));
  std::printf("Waiting for all subprocesses done...\n");
  p.close();
  co_await p.join();
  std::printf("All subprocesses done.\n");
  // [guide-end]
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// Parent process <int>.
// ~ Waiting for all subprocesses done...
// ~ Run task 0 (<int>)...
// ~ Run task 1 (<int>)...
// ~ Run task 2 (<int>)...
// ~ Run task 3 (<int>)...
// ~ Run task 4 (<int>)...
// ~ Task 0 runs <num> seconds.
// ~ Task 1 runs <num> seconds.
// ~ Task 2 runs <num> seconds.
// ~ Task 3 runs <num> seconds.
// ~ Task 4 runs <num> seconds.
// All subprocesses done.
