// Seed: 002 (Python-并发编程), "多线程用途": a CPU-bound work() (a long multiplication loop)
// run by several workers at once, and an IO-bound work() (sleep 2 s) run by 4,000 workers at
// once, timed. The seed's point is the GIL: CPython threads cannot run the CPU-bound loop on
// two cores at once (processes can), but they overlap their sleeps. In tide, CPU-bound work
// goes to real threads (the loop's thread pool, tide::to_thread) and runs on every core, and
// IO-bound waits are tasks on one thread, 4,000 of them costing no thread at all. The times
// depend on the machine; the checks are on what cannot vary: 4,000 sleeps of 20 ms at once
// take far less than 4,000 x 20 ms.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>
#include <tide/core/when_all.hpp>

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The seed's work(): res *= i for i in 1..N (the seed's res stays 0; this one does not).
std::uint64_t work() {
  std::uint64_t res = 1;
  for (std::uint64_t i = 1; i < 5'000'000; ++i)
    res = res * (i | 1) + 1;
  return res;
}

tide::Task<std::uint64_t> cpu_worker() {
  co_return co_await tide::to_thread(work);
}

// [guide:gil-io]
tide::Task<void> io_worker() {
  co_await tide::sleep_for(20ms);  // time.sleep(2)
}
// [guide-end]

tide::Task<void> main_task() {
  std::printf("%u\n", std::thread::hardware_concurrency());  // os.cpu_count()

  auto start = Clock::now();
  std::uint64_t one_after_another = 0;
  for (int i = 0; i < 4; ++i)
    one_after_another ^= work();
  std::printf("CPU-bound, 4 x work() on this thread: %.2f s\n", seconds_since(start));

  start = Clock::now();
  std::vector<tide::Task<std::uint64_t>> cpu;
  for (int i = 0; i < 4; ++i)
    cpu.push_back(cpu_worker());
  std::uint64_t at_once = 0;
  for (std::uint64_t r : co_await tide::when_all(std::move(cpu)))
    at_once ^= r;
  std::printf("CPU-bound, 4 x work() on 4 pool threads: %.2f s\n", seconds_since(start));
  std::printf("same results: %s\n", at_once == one_after_another ? "yes" : "no");

  start = Clock::now();
  std::vector<tide::Task<void>> io;
  for (int i = 0; i < 4000; ++i)
    io.push_back(io_worker());
  co_await tide::when_all(std::move(io));
  const double took = seconds_since(start);
  std::printf("IO-bound, 4000 x sleep(20 ms) as tasks: %.2f s\n", took);
  std::printf("the sleeps overlapped (under 1 s, not 80 s): %s\n", took < 1.0 ? "yes" : "no");
}

}  // namespace

int main() {
  tide::run(main_task(), {.thread_pool_size = 4});
  return 0;
}

// Output:
// <int>
// CPU-bound, 4 x work() on this thread: <num> s
// CPU-bound, 4 x work() on 4 pool threads: <num> s
// same results: yes
// IO-bound, 4000 x sleep(20 ms) as tasks: <num> s
// the sleeps overlapped (under 1 s, not 80 s): yes
