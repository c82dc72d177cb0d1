// What seeing inside costs (issue 18): the same loop with everything on (Loop::stats' times,
// the stall detector's watchdog at 100 ms, a dump signal) beside everything off, in the same
// binary. bench/compare.py pairs BM_<name>_tide (everything on) with BM_<name>_off and
// reports off-time / on-time: 1.00 is free, 0.97 costs 3%.
//   SpawnComplete: one item = a trivial task spawned and run to its end (batches of 10,000).
//   FiberYield100: one item = one of 100 fibres yielding to the loop and being switched back.
//   EchoRoundTrip: one item = 64 bytes sent over a socketpair, echoed by a task, read back.
//   Dump1000Tasks (alone, no anchor): one Loop::dump of 1,000 parked tasks.
// What both sides pay (the counters, the step counter, the running job's name) is measured
// against the build before issue 18 with callgrind (docs/performance.md).
#include <benchmark/benchmark.h>

#include <signal.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/net/unix_stream.hpp>

namespace {

using namespace std::chrono_literals;

tide::Loop::Options everything(bool on) {
  tide::Loop::Options options;
  options.metrics = on;
  if (on) {
    options.stall_threshold = 100ms;
    options.dump_on_signal = SIGUSR2;
  }
  return options;
}

constexpr int spawn_batch = 10'000;

tide::Task<void> trivial(int& done) {
  ++done;
  co_return;
}

void spawn_complete(benchmark::State& state, bool on) {
  tide::Loop loop(everything(on));
  for (auto _ : state) {
    int done = 0;
    for (int i = 0; i < spawn_batch; ++i)
      loop.spawn(trivial(done)).detach();
    loop.run();
    benchmark::DoNotOptimize(done);
  }
  state.SetItemsProcessed(state.iterations() * spawn_batch);
}

void fiber_yield_100(benchmark::State& state, bool on) {
  tide::Loop loop(everything(on));
  constexpr int fibres = 100;
  bool stop = false;
  std::vector<tide::Fiber<void>> others;
  for (int i = 1; i < fibres; ++i)
    others.push_back(tide::spawn_fiber(loop, [&stop] {
      while (!stop)
        tide::yield_now();
    }));
  auto f = tide::spawn_fiber(loop, [&] {
    for (auto _ : state)
      tide::yield_now();
    stop = true;
  });
  f.join();
  for (auto& other : others)
    other.join();
  state.SetItemsProcessed(state.iterations());
}

tide::Task<void> echo(tide::net::UnixStream& stream) {
  std::array<std::byte, 64> buffer{};
  for (;;) {
    const std::size_t n = co_await stream.read_some(buffer);
    if (n == 0) co_return;
    co_await stream.write_all(std::span(buffer.data(), n));
  }
}

tide::Task<void> round_trips(benchmark::State& state, tide::net::UnixStream& stream) {
  std::array<std::byte, 64> message{};
  for (auto _ : state) {
    co_await stream.write_all(message);
    co_await stream.read_exact(message);
  }
  stream.close();
}

void echo_round_trip(benchmark::State& state, bool on) {
  tide::Loop loop(everything(on));
  auto [client, server] = tide::net::socketpair();
  auto echoing = loop.spawn(echo(server));
  loop.run_until_complete(round_trips(state, client));
  loop.run();
  state.SetItemsProcessed(state.iterations());
}

// What a dump costs (no anchor: run it alone): 1,000 tasks parked in sleeps, each with a
// two-deep await chain to name. The first dump of the process also reads the binary's symbols.
tide::Task<void> parked() {
  co_await tide::sleep_for(1h);
}
tide::Task<void> parked_above() {
  co_await parked();
}

void dump_1000(benchmark::State& state) {
  tide::Loop loop;
  std::vector<tide::JoinHandle<void>> tasks;
  for (int i = 0; i < 1000; ++i)
    tasks.push_back(loop.spawn(parked_above(), "parked"));
  loop.run_once(0ms);
  for (auto _ : state)
    benchmark::DoNotOptimize(loop.dump());
  state.SetItemsProcessed(state.iterations() * 1000);
}

}  // namespace

BENCHMARK(dump_1000)->Name("BM_Dump1000Tasks")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(spawn_complete, on, true)->Name("BM_SpawnComplete_tide");
BENCHMARK_CAPTURE(spawn_complete, off, false)->Name("BM_SpawnComplete_off");
BENCHMARK_CAPTURE(fiber_yield_100, on, true)->Name("BM_FiberYield100_tide");
BENCHMARK_CAPTURE(fiber_yield_100, off, false)->Name("BM_FiberYield100_off");
BENCHMARK_CAPTURE(echo_round_trip, on, true)->Name("BM_EchoRoundTrip_tide");
BENCHMARK_CAPTURE(echo_round_trip, off, false)->Name("BM_EchoRoundTrip_off");

BENCHMARK_MAIN();
