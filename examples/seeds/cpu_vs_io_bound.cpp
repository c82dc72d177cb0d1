// Seed: 002 (Python-并发编程), "多线程用途", 计算密集型 and IO密集型: (1) twelve processes each run
// a CPU-bound loop, so they use every core; (2) many processes that only sleep (the seed starts
// 4000 for 2 s each, to show that processes cost far more than threads for waiting). Both
// print the CPU count and the time taken. Smaller here: 1,000,000 loop turns, and 50
// sleepers for 10 ms. For waiting, tide needs no process or thread at all: a task or a
// fibre per wait, on one loop.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void work() {
  volatile long res = 0;  // volatile: the loop is the point, the optimiser may not drop it
  for (long i = 1; i < 1'000'000; ++i)
    res = res * i;
}

void wait_only() {
  tide::sleep(10ms);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// [guide:cpu-vs-io-bound]
tide::Task<int> run_all(void (*fn)(), int count) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<tide::Process> l;
  for (int i = 0; i < count; ++i)
    l.push_back(tide::Process::start(fn));
  int failed = 0;
  for (auto& p : l)
    failed += co_await p.wait() != 0;
  std::printf("%.3f\n", seconds_since(start));
  co_return failed;
}
// [guide-end]

tide::Task<int> amain() {
  std::printf("%ld\n", ::sysconf(_SC_NPROCESSORS_ONLN));  // os.cpu_count()
  const int cpu = co_await run_all(work, 12);
  std::printf("%ld\n", ::sysconf(_SC_NPROCESSORS_ONLN));
  const int io = co_await run_all(wait_only, 50);
  co_return cpu + io;
}

int main() {
  return tide::run(amain());
}

// Output:
// <int>
// <num>
// <int>
// <num>
