// Core costs of tide beside Boost.Asio (1.81, C++20 coroutines) and libuv doing the same thing
// in the same binary. Pairs share a name and differ in the suffix: BM_<what>_tide /
// BM_<what>_asio (or _uv).
// bench/compare.py runs each pair alternately and reports the ratio.
#include <benchmark/benchmark.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <uv.h>
#include <boost/asio.hpp>
#include <tide/tide.hpp>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// ---- resume ping-pong: co_await a child coroutine that finishes at once --------------------
// Two resumptions per iteration (into the child, back to the parent), plus the child frame.

tide::Task<int> tide_ready_child() {
  co_return 1;
}

tide::Task<void> tide_ping_pong(benchmark::State& state) {
  long sum = 0;
  for (auto _ : state)
    sum += co_await tide_ready_child();
  benchmark::DoNotOptimize(sum);
}

void BM_ResumePingPong_tide(benchmark::State& state) {
  tide::run(tide_ping_pong(state));
}

asio::awaitable<int> asio_ready_child() {
  co_return 1;
}

asio::awaitable<void> asio_ping_pong(benchmark::State& state) {
  long sum = 0;
  for (auto _ : state)
    sum += co_await asio_ready_child();
  benchmark::DoNotOptimize(sum);
}

void BM_ResumePingPong_asio(benchmark::State& state) {
  asio::io_context ctx(1);
  asio::co_spawn(ctx, asio_ping_pong(state), asio::detached);
  ctx.run();
}

// ---- spawn + complete: batches of 10,000 trivial tasks -------------------------------------

constexpr int spawn_batch = 10'000;

tide::Task<void> tide_trivial(int& done) {
  ++done;
  co_return;
}

tide::Task<void> tide_spawn_batches(benchmark::State& state) {
  for (auto _ : state) {
    int done = 0;
    for (int i = 0; i < spawn_batch; ++i)
      tide::spawn(tide_trivial(done)).detach();
    while (done < spawn_batch)
      co_await tide::yield_now();
  }
  state.SetItemsProcessed(state.iterations() * spawn_batch);
}

void BM_SpawnComplete_tide(benchmark::State& state) {
  tide::run(tide_spawn_batches(state));
}

asio::awaitable<void> asio_trivial(int& done) {
  ++done;
  co_return;
}

void BM_SpawnComplete_asio(benchmark::State& state) {
  asio::io_context ctx(1);
  for (auto _ : state) {
    int done = 0;
    for (int i = 0; i < spawn_batch; ++i)
      asio::co_spawn(ctx, asio_trivial(done), asio::detached);
    ctx.run();
    ctx.restart();
    benchmark::DoNotOptimize(done);
  }
  state.SetItemsProcessed(state.iterations() * spawn_batch);
}

// ---- timer insert + cancel, 1,000 per batch, one loop poll per batch -----------------------
// Two pairs, so that each side does the same work as its anchor:
//   TimerInsertCancel (against Asio): both sides run a cancelled handler. Asio always does:
//     cancel() queues the handler with operation_aborted and poll() runs it. tide's Timer::cancel
//     drops the callback and says whether the timer was armed, so the tide side posts its abort
//     handler to the loop, and run_once() runs it.
//   TimerInsertStop (against libuv): neither side runs a handler. uv_timer_stop, like
//     Timer::cancel, drops the callback; one uv_run(UV_RUN_NOWAIT) per batch.

constexpr int timer_batch = 1'000;

void BM_TimerInsertCancel_tide(benchmark::State& state) {
  tide::Loop loop;
  tide::Timer timer(loop);
  int fired = 0;
  long aborted = 0;
  for (auto _ : state) {
    for (int i = 0; i < timer_batch; ++i) {
      timer.start(1h, [&] { ++fired; });
      if (timer.cancel()) loop.post([&] { ++aborted; });
    }
    loop.run_once(0ms);
  }
  if (fired != 0 || aborted != state.iterations() * timer_batch)
    state.SkipWithError("a handler was lost or a timer fired");
  state.SetItemsProcessed(state.iterations() * timer_batch);
}

void BM_TimerInsertCancel_asio(benchmark::State& state) {
  asio::io_context ctx(1);
  asio::steady_timer timer(ctx);
  int fired = 0;
  long aborted = 0;
  for (auto _ : state) {
    for (int i = 0; i < timer_batch; ++i) {
      timer.expires_after(1h);
      timer.async_wait([&](boost::system::error_code ec) {
        if (ec)
          ++aborted;
        else
          ++fired;
      });
      timer.cancel();
    }
    ctx.poll();
    ctx.restart();
  }
  if (fired != 0 || aborted != state.iterations() * timer_batch)
    state.SkipWithError("a handler was lost or a timer fired");
  state.SetItemsProcessed(state.iterations() * timer_batch);
}

void BM_TimerInsertStop_tide(benchmark::State& state) {
  tide::Loop loop;
  tide::Timer timer(loop);
  int fired = 0;
  for (auto _ : state) {
    for (int i = 0; i < timer_batch; ++i) {
      timer.start(1h, [&] { ++fired; });
      timer.cancel();
    }
    loop.run_once(0ms);
  }
  if (fired != 0) state.SkipWithError("a cancelled timer fired");
  state.SetItemsProcessed(state.iterations() * timer_batch);
}

void BM_TimerInsertStop_uv(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  int fired = 0;
  timer.data = &fired;
  for (auto _ : state) {
    for (int i = 0; i < timer_batch; ++i) {
      uv_timer_start(
          &timer, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 3'600'000, 0);
      uv_timer_stop(&timer);
    }
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  if (fired != 0) state.SkipWithError("a cancelled timer fired");
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  state.SetItemsProcessed(state.iterations() * timer_batch);
}

// ---- cross-thread post: one producer thread, 100,000 posts per iteration -------------------

constexpr int post_batch = 100'000;

void BM_PostCrossThread_tide(benchmark::State& state) {
  for (auto _ : state) {
    tide::Loop loop;
    int ran = 0;
    std::thread producer([remote = loop.remote(), &ran]() mutable {
      for (int i = 0; i < post_batch; ++i)
        remote.post([&ran] { ++ran; });
      tide::Loop::Remote done = std::move(remote);  // the loop's run() ends once it is gone
    });
    loop.run();
    producer.join();
    if (ran != post_batch) state.SkipWithError("lost posts");
  }
  state.SetItemsProcessed(state.iterations() * post_batch);
}

void BM_PostCrossThread_asio(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context ctx(1);
    int ran = 0;
    auto guard = asio::make_work_guard(ctx);
    std::thread producer([&] {
      for (int i = 0; i < post_batch; ++i)
        asio::post(ctx, [&ran] { ++ran; });
      asio::post(ctx, [&] { guard.reset(); });
    });
    ctx.run();
    producer.join();
    if (ran != post_batch) state.SkipWithError("lost posts");
  }
  state.SetItemsProcessed(state.iterations() * post_batch);
}

// ---- to_thread round trip: loop -> worker thread -> loop -----------------------------------
// Wall time per round trip, and beside it the CPU the whole process spent per round trip
// (counter cpu_ns_per_op, from CLOCK_PROCESS_CPUTIME_ID, all threads): tide's loop and worker
// spin briefly before they sleep, which shortens the round trip and costs CPU.

std::int64_t process_cpu_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

void report_process_cpu(benchmark::State& state, std::int64_t start_ns) {
  state.counters["cpu_ns_per_op"] = benchmark::Counter(
      static_cast<double>(process_cpu_ns() - start_ns), benchmark::Counter::kAvgIterations);
}

tide::Task<void> tide_round_trips(benchmark::State& state) {
  long sum = 0;
  const std::int64_t cpu_start = process_cpu_ns();
  for (auto _ : state)
    sum += co_await tide::to_thread([] { return 1; });
  report_process_cpu(state, cpu_start);
  benchmark::DoNotOptimize(sum);
}

void BM_ToThreadRoundTrip_tide(benchmark::State& state) {
  tide::run(tide_round_trips(state));
}

asio::awaitable<void> asio_round_trips(benchmark::State& state, asio::thread_pool& pool) {
  auto loop = co_await asio::this_coro::executor;
  long sum = 0;
  const std::int64_t cpu_start = process_cpu_ns();
  for (auto _ : state) {
    co_await asio::post(pool.get_executor(), asio::use_awaitable);  // now on a pool thread
    sum += 1;
    co_await asio::post(loop, asio::use_awaitable);  // back on the io_context thread
  }
  report_process_cpu(state, cpu_start);
  benchmark::DoNotOptimize(sum);
}

void BM_ToThreadRoundTrip_asio(benchmark::State& state) {
  asio::io_context ctx(1);
  asio::thread_pool pool(4);
  asio::co_spawn(ctx, asio_round_trips(state, pool), asio::detached);
  ctx.run();
  pool.join();
}

}  // namespace

BENCHMARK(BM_ResumePingPong_tide);
BENCHMARK(BM_ResumePingPong_asio);
BENCHMARK(BM_SpawnComplete_tide)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SpawnComplete_asio)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TimerInsertCancel_tide)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TimerInsertCancel_asio)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TimerInsertStop_tide)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TimerInsertStop_uv)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PostCrossThread_tide)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PostCrossThread_asio)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ToThreadRoundTrip_tide)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ToThreadRoundTrip_asio)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
