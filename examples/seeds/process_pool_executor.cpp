// Seed: 002 (Python-并发编程), "进程池": ProcessPoolExecutor(5) runs task(1..20) (prints n,
// sleeps, returns n ** 2); shutdown() waits for all, then the results are printed.
// tide::ProcessPool is the executor: `submit` returns a future at once, `co_await
// pool.shutdown()` waits, `co_await f.result()` gives the value. A worker runs `task` as
// plain code (not on a loop), so it sleeps with std::this_thread::sleep_for; 10 ms here.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

using namespace std::chrono_literals;

int task(int n) {
  std::printf("%d\n", n);
  std::this_thread::sleep_for(10ms);
  return n * n;
}

int cube(int n) {
  return n * n * n;
}

tide::Task<int> amain() {
  // [guide:process-pool-executor]
  tide::ProcessPool pool({.workers = 5});
  std::vector<tide::PoolFuture<int>> t_list;
  for (int i = 1; i <= 20; ++i)
    t_list.push_back(pool.submit(task, i));
  // executor.map(cube, range(1, 6)) (not in the seed), before the shutdown: results in order.
  const std::vector<int> xs{1, 2, 3, 4, 5};
  const std::vector<int> cubes = co_await pool.map(cube, xs);
  co_await pool.shutdown();  // wait=True
  for (auto& t : t_list)
    std::printf(">>>: %d\n", co_await t.result());
  // [guide-end]
  std::printf("map: %d %d %d %d %d\n", cubes[0], cubes[1], cubes[2], cubes[3], cubes[4]);
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ 1
// ~ 2
// ~ 3
// ~ 4
// ~ 5
// ~ 6
// ~ 7
// ~ 8
// ~ 9
// ~ 10
// ~ 11
// ~ 12
// ~ 13
// ~ 14
// ~ 15
// ~ 16
// ~ 17
// ~ 18
// ~ 19
// ~ 20
// >>>: 1
// >>>: 4
// >>>: 9
// >>>: 16
// >>>: 25
// >>>: 36
// >>>: 49
// >>>: 64
// >>>: 81
// >>>: 100
// >>>: 121
// >>>: 144
// >>>: 169
// >>>: 196
// >>>: 225
// >>>: 256
// >>>: 289
// >>>: 324
// >>>: 361
// >>>: 400
// map: 1 8 27 64 125
