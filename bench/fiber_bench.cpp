// Stack switching: a tide Greenlet against raw boost::context::fiber, in the same binary.
// Names BM_<what>_tide / BM_<what>_raw, so bench/compare.py pairs them. One item = one switch.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>

#include <any>

#include <tide/core/greenlet.hpp>

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

void raw_fiber_switch(benchmark::State& state) {
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
  state.SetItemsProcessed(state.iterations() * 2);
}

}  // namespace

BENCHMARK(greenlet_switch)->Name("BM_GreenletSwitch_tide");
BENCHMARK(raw_fiber_switch)->Name("BM_GreenletSwitch_raw");

BENCHMARK_MAIN();
