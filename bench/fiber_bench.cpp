// Stack switching and fibres: tide against raw boost::context::fiber, in the same binary.
// Names BM_<what>_tide / BM_<what>_raw, so bench/compare.py pairs them.
//   GreenletSwitch, GreenletSwitchTyped, GreenletSwitchAny: one item = one switch, bare
//     (switch_to<void>), passing an int (switch_to<int>) or an empty std::any (switch_to()).
//   FiberYield: one item = a fibre yielding to the loop and being switched back in (two
//     switches, plus the loop's turn), against a raw resume and suspend (two switches).
//   FiberYield100: the same with 100 fibres taking turns (one item = one fibre's yield).
//   FiberSpawnJoin: one item = a fibre created, run to its end and joined (batches of 1,000),
//     against a raw Boost.Context fiber created, resumed to its end and destroyed (batches of
//     1,000 too). Both take guarded 256 KiB stacks from a pool that keeps freed ones mapped.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <any>
#include <cstddef>
#include <new>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/greenlet.hpp>
#include <tide/core/loop.hpp>

namespace {

namespace ctx = boost::context;

// Main and one greenlet switch back and forth: two switches per round. Three forms of the
// same switch: the bare one (switch_to<void>, nothing passed either way), the typed one
// (switch_to<int>, an int each way) and the std::any one (switch_to(), an empty std::any each
// way). The bare and std::any forms have the raw round trip below as anchor; the typed one a
// raw round trip that passes an int each way through a variable both sides see.
void greenlet_switch(benchmark::State& state) {
  bool stop = false;
  tide::Greenlet g([&] {
    while (!stop)
      tide::Greenlet::current().parent()->switch_to<void>();
  });
  for (auto _ : state)
    g.switch_to<void>();
  stop = true;
  g.switch_to<void>();
  state.SetItemsProcessed(state.iterations() * 2);
}

void greenlet_switch_typed(benchmark::State& state) {
  tide::Greenlet g([](std::any first) {
    int n = std::any_cast<int>(first);
    while (n >= 0)
      n = tide::Greenlet::current().parent()->switch_to<int>(n + 1);
  });
  int n = 0;
  for (auto _ : state)
    n = g.switch_to<int>(n);
  benchmark::DoNotOptimize(n);
  g.switch_to<void>(-1);
  state.SetItemsProcessed(state.iterations() * 2);
}

void greenlet_switch_any(benchmark::State& state) {
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

// The anchor for the greenlet and yield benchmarks: raw resume and suspend of one fiber. A
// round is two switches; the greenlet benchmarks count switches (2 items a round), the yield
// benchmarks rounds (1).
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

void raw_round_trip_int(benchmark::State& state) {
  int slot = 0;
  ctx::fiber f{[&](ctx::fiber&& caller) {
    while (slot >= 0) {
      slot += 1;
      caller = std::move(caller).resume();
    }
    return std::move(caller);
  }};
  int n = 0;
  for (auto _ : state) {
    slot = n;
    f = std::move(f).resume();
    n = slot;
  }
  benchmark::DoNotOptimize(n);
  slot = -1;
  f = std::move(f).resume();
  state.SetItemsProcessed(state.iterations() * 2);
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

// Guarded stacks of one size for raw Boost.Context fibres, kept for reuse once freed: what
// tide's own stack pool does, so that the raw anchor pays for creating and running a fibre
// and not for mapping, guarding and unmapping its stack (with protected_fixedsize_stack, which
// does that per fibre, a raw fibre cost 21.5 us here; with a kept stack about 0.12 us).
// Boost.Context copies the allocator into each fibre, so the fibres hold a
// PooledStacks::Handle and the pool outlives them.
class PooledStacks {
 public:
  PooledStacks(std::size_t size, std::size_t keep)
      : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
        size_((size + page_ - 1) / page_ * page_),
        keep_(keep) {
    free_.reserve(keep);
  }
  PooledStacks(const PooledStacks&) = delete;
  PooledStacks& operator=(const PooledStacks&) = delete;
  ~PooledStacks() {
    for (ctx::stack_context& s : free_)
      unmap(s);
  }

  struct Handle {
    PooledStacks* pool;
    ctx::stack_context allocate() { return pool->allocate(); }
    void deallocate(ctx::stack_context& s) noexcept { pool->release(s); }
  };
  Handle handle() noexcept { return Handle{this}; }

 private:
  ctx::stack_context allocate() {
    if (!free_.empty()) {
      ctx::stack_context s = free_.back();
      free_.pop_back();
      return s;
    }
    void* m = ::mmap(nullptr, size_ + page_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED || ::mprotect(m, page_, PROT_NONE) != 0) throw std::bad_alloc();
    ctx::stack_context s;
    s.size = size_;  // usable bytes, above the guard page
    s.sp = static_cast<char*>(m) + page_ + size_;
    return s;
  }
  void release(ctx::stack_context& s) noexcept {
    if (free_.size() < keep_)
      free_.push_back(s);  // within the capacity reserved up front: no allocation
    else
      unmap(s);
  }
  void unmap(ctx::stack_context& s) noexcept {
    ::munmap(static_cast<char*>(s.sp) - s.size - page_, s.size + page_);
  }

  std::size_t page_;
  std::size_t size_;
  std::size_t keep_;
  std::vector<ctx::stack_context> free_;
};

// The same shape as fiber_spawn_join: a batch of 1,000 fibres created, then each resumed to
// its end (which frees its stack back to the pool), on stacks of tide's default size.
void raw_fiber_create_run(benchmark::State& state) {
  PooledStacks stacks(tide::FiberOptions{}.stack_size, batch);
  std::vector<ctx::fiber> fibres;
  fibres.reserve(batch);
  long sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i)
      fibres.emplace_back(std::allocator_arg, stacks.handle(), [&sum, i](ctx::fiber&& caller) {
        sum += i;
        return std::move(caller);
      });
    for (ctx::fiber& f : fibres)
      f = std::move(f).resume();
    benchmark::DoNotOptimize(sum);
    fibres.clear();
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
BENCHMARK(greenlet_switch_typed)->Name("BM_GreenletSwitchTyped_tide");
BENCHMARK(raw_round_trip_int)->Name("BM_GreenletSwitchTyped_raw");
BENCHMARK(greenlet_switch_any)->Name("BM_GreenletSwitchAny_tide");
BENCHMARK(raw_round_trip<2>)->Name("BM_GreenletSwitchAny_raw");

BENCHMARK_MAIN();
