// ProcessPool round trips, map throughput, the Monte Carlo pi speed-up, the codec's share of a
// small round trip and the pool's idle CPU, printed as one JSON object (bench/pool_compare.py
// runs it beside Python's pools and reports ratios; see docs/performance.md).
//
//   pool_bench [--workers N] [--quick]

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/process_pool.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int trivial(int x) {
  return x;
}

// The seeds' Monte Carlo pi: `samples` points from a 64-bit LCG seeded with `seed`; how many
// fall inside the unit quarter circle.
std::int64_t pi_inside(std::uint64_t seed, std::int64_t samples) {
  std::uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  std::int64_t inside = 0;
  for (std::int64_t i = 0; i < samples; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double x = static_cast<double>(state >> 11) * 0x1.0p-53;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double y = static_cast<double>(state >> 11) * 0x1.0p-53;
    inside += (x * x + y * y <= 1.0) ? 1 : 0;
  }
  return inside;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// utime + stime of `pid` in seconds (/proc/<pid>/stat), 0 if it is gone.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> field;
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Results {
  double seq_tasks_per_s = 0, seq_p50_us = 0, seq_p99_us = 0;
  double bulk_tasks_per_s = 0, apply_async_seq_tasks_per_s = 0, apply_async_bulk_tasks_per_s = 0;
  double map_items_per_s = 0;
  double pi_1_s = 0, pi_2_s = 0;
  double codec_ns = 0, codec_share = 0;
  double idle_cpu_percent = 0;
};

tide::Task<void> run(Results& r, std::size_t workers, bool quick) {
  tide::ProcessPool pool({.workers = workers});
  const int warm = quick ? 1000 : 5000;
  for (int i = 0; i < warm; ++i)
    (void)co_await pool.submit(trivial, i);

  // Sequential: one call in flight.
  {
    const int n = quick ? 5000 : 30000;
    std::vector<double> lat;
    lat.reserve(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      (void)co_await pool.submit(trivial, i);
      lat.push_back(seconds(Clock::now() - t0) * 1e6);
    }
    r.seq_tasks_per_s = n / seconds(Clock::now() - start);
    r.seq_p50_us = percentile(lat, 0.5);
    r.seq_p99_us = percentile(lat, 0.99);
  }
  // apply_async, sequential (callback, then the next call).
  {
    const int n = quick ? 5000 : 30000;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      int got = -1;
      auto f = pool.apply_async(trivial, std::tuple{i}, [&](const int& v) { got = v; });
      (void)co_await f;
    }
    r.apply_async_seq_tasks_per_s = n / seconds(Clock::now() - start);
  }
  // Bulk: batches of 10,000 in flight.
  {
    const int batch = 10000, rounds = quick ? 3 : 10;
    std::vector<tide::PoolFuture<int>> futures;
    futures.reserve(batch);
    const auto start = Clock::now();
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < batch; ++i)
        futures.push_back(pool.submit(trivial, i));
      for (auto& f : futures)
        (void)co_await f;
      futures.clear();
    }
    r.bulk_tasks_per_s = batch * rounds / seconds(Clock::now() - start);
  }
  {
    const int batch = 10000, rounds = quick ? 3 : 10;
    std::int64_t sum = 0;
    std::vector<tide::PoolFuture<int>> futures;
    futures.reserve(batch);
    const auto start = Clock::now();
    for (int round = 0; round < rounds; ++round) {
      for (int i = 0; i < batch; ++i)
        futures.push_back(
            pool.apply_async(trivial, std::tuple{i}, [&](const int& v) { sum += v; }));
      for (auto& f : futures)
        (void)co_await f;
      futures.clear();
    }
    r.apply_async_bulk_tasks_per_s = batch * rounds / seconds(Clock::now() - start);
  }
  // map of a trivial function, Python's default chunking.
  {
    std::vector<int> items(quick ? 200000 : 1000000);
    std::iota(items.begin(), items.end(), 0);
    const int rounds = quick ? 2 : 5;
    const auto start = Clock::now();
    for (int i = 0; i < rounds; ++i)
      (void)co_await pool.map(trivial, items);
    r.map_items_per_s = static_cast<double>(items.size()) * rounds / seconds(Clock::now() - start);
  }
  // The codec's part of one small round trip: the request's arguments encoded and decoded, and
  // the result encoded and decoded (what both ends do for `submit(trivial, i)`).
  {
    const int n = 1000000;
    std::string buffer;
    int sink = 0;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      buffer.clear();
      tide::io::encode_append(buffer, i);
      int a = 0;
      tide::io::decode_into(buffer, a);
      buffer.clear();
      tide::io::encode_append(buffer, a);
      int b = 0;
      tide::io::decode_into(buffer, b);
      sink += b;
    }
    r.codec_ns = seconds(Clock::now() - start) / n * 1e9 + (sink == 42 ? 1e-9 : 0);
    r.codec_share = r.codec_ns / (1e9 / r.seq_tasks_per_s);
  }
  // Idle CPU: parent + fork server + workers over a quiet second, after work stopped.
  {
    co_await tide::sleep_for(100ms);
    std::vector<pid_t> pids = pool.pids();
    pids.push_back(pool.server_pid());
    pids.push_back(::getpid());
    double before = 0, after = 0;
    for (pid_t p : pids)
      before += cpu_seconds(p);
    const auto start = Clock::now();
    co_await tide::sleep_for(quick ? 500ms : 2s);
    const double wall = seconds(Clock::now() - start);
    for (pid_t p : pids)
      after += cpu_seconds(p);
    r.idle_cpu_percent = (after - before) / wall * 100;
  }
}

// Monte Carlo pi on `workers` workers: 16 calls of `samples` each.
tide::Task<double> pi_run(std::size_t workers, std::int64_t samples) {
  tide::ProcessPool pool({.workers = workers});
  (void)co_await pool.submit(pi_inside, std::uint64_t{0}, std::int64_t{1000});
  std::vector<tide::PoolFuture<std::int64_t>> parts;
  const auto start = Clock::now();
  for (std::uint64_t seed = 1; seed <= 16; ++seed)
    parts.push_back(pool.submit(pi_inside, seed, samples));
  std::int64_t inside = 0;
  for (auto& p : parts)
    inside += co_await p;
  const double took = seconds(Clock::now() - start);
  const double pi = 4.0 * static_cast<double>(inside) / (16.0 * static_cast<double>(samples));
  if (std::fabs(pi - 3.14159) > 0.01) std::fprintf(stderr, "pi came out as %f\n", pi);
  co_return took;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t workers = 2;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) workers = std::stoul(argv[++i]);
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  }
  Results r;
  tide::Loop loop;
  loop.run_until_complete(run(r, workers, quick));
  const std::int64_t samples = quick ? 1000000 : 5000000;
  r.pi_1_s = loop.run_until_complete(pi_run(1, samples));
  r.pi_2_s = loop.run_until_complete(pi_run(2, samples));
  std::printf(
      "{\"backend\": \"%s\", \"seq_tasks_per_s\": %.0f, \"seq_p50_us\": %.2f, \"seq_p99_us\": "
      "%.2f, \"bulk_tasks_per_s\": %.0f, \"apply_async_seq_tasks_per_s\": %.0f, "
      "\"apply_async_bulk_tasks_per_s\": %.0f, \"map_items_per_s\": %.0f, \"pi_1_s\": %.4f, "
      "\"pi_2_s\": %.4f, \"pi_speedup\": %.3f, \"codec_ns\": %.1f, \"codec_share\": %.4f, "
      "\"idle_cpu_percent\": %.3f}\n",
      std::string(loop.backend_name()).c_str(), r.seq_tasks_per_s, r.seq_p50_us, r.seq_p99_us,
      r.bulk_tasks_per_s, r.apply_async_seq_tasks_per_s, r.apply_async_bulk_tasks_per_s,
      r.map_items_per_s, r.pi_1_s, r.pi_2_s, r.pi_1_s / r.pi_2_s, r.codec_ns, r.codec_share,
      r.idle_cpu_percent);
  return 0;
}
