// Seed: 000 (多任务编程), "线程锁Lock": 1000 threads each draw 10,000 random points and count
// those inside the unit circle into a global `value`, under a Lock; main prints
// π ≈ value / 10,000,000 * 4. The seed's threads are real threads working the CPU, so here
// they are calls on the loop's thread pool (tide::to_thread), and the lock a std::mutex:
// tide's Mutex belongs to one loop, and the thread-safe tide primitives (ThreadEvent,
// ThreadQueue) signal and hand over rather than lock. The GIL: in CPython these threads run
// one at a time and take as long as one thread doing all the work; here they run on every
// core at once, and without the lock `value += 1` would lose counts (a data race).
// 100 workers of 10,000 points each, every worker with its own seeded generator, so the count
// is the same on every run and the last line checks it against a single-threaded count.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>
#include <tide/core/when_all.hpp>

namespace {

constexpr int workers = 100;
constexpr int points = 10000;

long value = 0;
std::mutex lock;  // lock = Lock()

// A point in [0, 1)^2 from the generator, the same on every platform (mt19937's output is
// fixed by the standard; uniform_real_distribution's is not).
double uniform(std::mt19937& gen) {
  return static_cast<double>(gen()) / 4294967296.0;
}

// [guide:thread-lock-pi]
// Runs on a pool thread.
void js(unsigned seed) {
  std::mt19937 gen(seed);
  for (int i = 0; i < points; ++i) {
    const double x = uniform(gen);
    const double y = uniform(gen);
    if (x * x + y * y < 1.0) {
      const std::lock_guard<std::mutex> guard(lock);  // with lock:
      value += 1;
    }
  }
}

tide::Task<void> worker(unsigned seed) {
  co_await tide::to_thread(js, seed);  // Thread(target=js).start() ... join()
}
// [guide-end]

long count_alone() {
  long inside = 0;
  for (unsigned seed = 0; seed < workers; ++seed) {
    std::mt19937 gen(seed);
    for (int i = 0; i < points; ++i) {
      const double x = uniform(gen);
      const double y = uniform(gen);
      inside += x * x + y * y < 1.0 ? 1 : 0;
    }
  }
  return inside;
}

tide::Task<void> main_task() {
  std::vector<tide::Task<void>> thread_list;
  for (unsigned seed = 0; seed < workers; ++seed)
    thread_list.push_back(worker(seed));
  co_await tide::when_all(std::move(thread_list));
  std::printf("π ≈ %.7f\n", static_cast<double>(value) / (workers * points) * 4);
  std::printf("%ld points inside, as counted by one thread: %s\n", value,
              value == count_alone() ? "yes" : "no");
}

}  // namespace

int main() {
  tide::run(main_task(), {.thread_pool_size = 4});
  return 0;
}

// Output:
// π ≈ 3.1418680
// 785467 points inside, as counted by one thread: yes
