// Stack switching and fibres: tide against raw boost::context::fiber, in the same binary.
// Names BM_<what>_tide / BM_<what>_raw, so bench/compare.py pairs them.
//   GreenletSwitch: one item = one switch.
//   FiberYield: one item = a fibre yielding to the loop and being switched back in (two
//     switches, plus the loop's turn), against a raw resume and suspend (two switches).
//   FiberYield100: the same with 100 fibres taking turns (one item = one fibre's yield).
//   FiberSpawnJoin: one item = a fibre created, run to its end and joined, against a raw
//     Boost.Context fiber on a guarded stack (protected_fixedsize_stack) created, resumed to
//     its end and destroyed.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <any>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/greenlet.hpp>
#include <tide/core/loop.hpp>

namespace {

namespace ctx = boost::context;

// Main and one greenlet switch back and forth: two switches per round.
void greenlet_switch(benchmark::State& state) {
  bool stop = false;
  tide::Greenlet g([&](std::any) -> std::any {
    while (!stop)
      tide::Greenlet::current().parent()->switch_to();
    return {};
  });
  for (auto _ : state)
    g.switch_to();
  stop = true;
  g.switch_to();
  state.SetItemsProcessed(state.iterations() * 2);
}

// The anchor for both: raw resume and suspend of one fiber. A round is two switches; the
// greenlet benchmark counts switches (2 items a round), the yield benchmarks rounds (1).
template <int items_per_round>
void raw_round_trip(benchmark::State& state) {
  bool stop = false;
  ctx::fiber f{[&](ctx::fiber&& caller) {
    while (!stop)
      caller = std::move(caller).resume();
    return std::move(caller);
  }};
  for (auto _ : state)
    f = std::move(f).resume();
  stop = true;
  f = std::move(f).resume();
  state.SetItemsProcessed(state.iterations() * items_per_round);
}

void fiber_yield(benchmark::State& state) {
  tide::Loop loop;
  auto f = tide::spawn_fiber(loop, [&state] {
    for (auto _ : state)
      tide::yield_now();
  });
  f.join();
  state.SetItemsProcessed(state.iterations());
}

// 100 fibres yield round-robin: the loop's turn is shared by all of them.
void fiber_yield_100(benchmark::State& state) {
  tide::Loop loop;
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
  (void)tide::joinall(others);
  state.SetItemsProcessed(state.iterations() * fibres);
}

constexpr int batch = 1000;

void fiber_spawn_join(benchmark::State& state) {
  tide::Loop loop;
  std::vector<tide::Fiber<int>> fibres;
  fibres.reserve(batch);
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i)
      fibres.push_back(tide::spawn_fiber(loop, [i] { return i; }));
    long sum = 0;
    for (auto& f : fibres)
      sum += f.join();
    benchmark::DoNotOptimize(sum);
    fibres.clear();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void raw_fiber_create_run(benchmark::State& state) {
  ctx::protected_fixedsize_stack stacks(tide::FiberOptions{}.stack_size);
  for (auto _ : state) {
    long sum = 0;
    for (int i = 0; i < batch; ++i) {
      ctx::fiber f{std::allocator_arg, stacks, [&sum, i](ctx::fiber&& caller) {
                     sum += i;
                     return std::move(caller);
                   }};
      f = std::move(f).resume();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

BENCHMARK(fiber_yield)->Name("BM_FiberYield_tide");
BENCHMARK(raw_round_trip<1>)->Name("BM_FiberYield_raw");
BENCHMARK(fiber_yield_100)->Name("BM_FiberYield100_tide");
BENCHMARK(raw_round_trip<1>)->Name("BM_FiberYield100_raw");
BENCHMARK(fiber_spawn_join)->Name("BM_FiberSpawnJoin_tide");
BENCHMARK(raw_fiber_create_run)->Name("BM_FiberSpawnJoin_raw");
BENCHMARK(greenlet_switch)->Name("BM_GreenletSwitch_tide");
BENCHMARK(raw_round_trip<2>)->Name("BM_GreenletSwitch_raw");

BENCHMARK_MAIN();
