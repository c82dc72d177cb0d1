// Seed: 000 (多任务编程), "线程锁Lock": Monte Carlo π, with points thrown into the unit square and
// those inside the circle counted. The seed runs 1000 threads that add to one counter under a
// Lock (under the GIL, no faster than one thread); CPU-bound work belongs on a process pool:
// here `pool.map` gives each worker chunks of samples, each returns its own count, and the
// parent adds them up, with no lock at all. Each sample has its own seed, so the estimate is
// the same on every run.
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

constexpr int points_per_sample = 100'000;

// splitmix64: a small generator whose numbers are the same with every standard library.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}
double uniform(std::uint64_t& state) {
  return static_cast<double>(next(state) >> 11) * 0x1p-53;
}

// Runs in a worker: how many of the sample's points fall inside the circle.
long inside_circle(std::uint64_t seed) {
  long inside = 0;
  for (int i = 0; i < points_per_sample; ++i) {
    const double x = uniform(seed), y = uniform(seed);
    if (x * x + y * y < 1.0) ++inside;
  }
  return inside;
}

tide::Task<int> amain() {
  // [guide:pi-process-pool]
  tide::ProcessPool pool({.workers = 2});
  std::vector<std::uint64_t> seeds(32);
  std::iota(seeds.begin(), seeds.end(), 1);
  const std::vector<long> counts = co_await pool.map(inside_circle, seeds);
  const long value = std::accumulate(counts.begin(), counts.end(), 0L);
  const long total = static_cast<long>(seeds.size()) * points_per_sample;
  std::printf("π ≈ %.7f\n", 4.0 * static_cast<double>(value) / static_cast<double>(total));
  // [guide-end]
  std::printf("%ld of %ld points inside\n", value, total);
  co_return 0;
}

int main() {
  return tide::run(amain());
}

// Output:
// π ≈ 3.1409675
// 2512774 of 3200000 points inside
