// Seed: 002 (Python-并发编程), "线程池": ThreadPoolExecutor(5) runs task(1..20) (prints n,
// sleeps, returns n ** 2); the results are printed after shutdown(). tide::ThreadPool is the
// executor: `pool.submit(fn, args...)` returns the future (a JoinHandle, awaited for the
// result) and `pool.map(fn, items)` the results in order. The seed's 2 s sleep is 10 ms.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/thread_pool.hpp>

using namespace std::chrono_literals;

int task(int n) {  // runs on a worker thread: blocking here is what the pool is for
  std::printf("%d\n", n);
  std::this_thread::sleep_for(10ms);
  return n * n;
}

int cube(int n) {
  return n * n * n;
}

tide::Task<int> amain() {
  // [guide:thread-pool-executor]
  tide::ThreadPool pool(5);
  std::vector<tide::JoinHandle<int>> t_list;
  for (int i = 1; i <= 20; ++i)
    t_list.push_back(pool.submit(task, i));
  std::vector<int> results;
  for (auto& t : t_list)
    results.push_back(co_await t);  // t.result()
  for (int r : results)
    std::printf(">>>: %d\n", r);
  // [guide-end]

  // executor.map(cube, range(1, 6)) (not in the seed): the results in order.
  const std::vector<int> xs{1, 2, 3, 4, 5};
  const std::vector<int> cubes = co_await pool.map(cube, xs);
  std::printf("map: %d %d %d %d %d\n", cubes[0], cubes[1], cubes[2], cubes[3], cubes[4]);
  pool.shutdown();  // every call has ended: this only joins the threads
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
