// The sync primitives (issue 14) beside the C++ libraries that have the same thing, in the same
// binary: Boost.Fiber 1.81 (`boost::fibers::mutex`, `buffered_channel`, `condition_variable`)
// and Boost.Asio's experimental channel (C++20 coroutines). Pairs share a name and differ in
// the suffix, BM_<what>_tide / BM_<what>_boost / BM_<what>_asio, so bench/compare.py runs them
// alternately and reports the ratio. A tide row with no anchor (the semaphore: neither library
// has one) is read from the binary's own output.
//
// One item is one operation of the row's name: a lock and unlock, a hand-off, a queued item
// (put and got), a woken waiter. Rows named ...Fiber run tide's stackful fibres
// (`tide::await`), the others tide's tasks (`co_await`); Boost.Fiber has only fibres, so its
// figure anchors both.
#include <benchmark/benchmark.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>

#include <mutex>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/event.hpp>
#include <tide/sync/mutex.hpp>
#include <tide/sync/queue.hpp>
#include <tide/sync/semaphore.hpp>

namespace asio = boost::asio;
namespace fibers = boost::fibers;

namespace {

// ---- Event: one set() wakes 10,000 waiters -------------------------------------------------
// The waiters live across iterations: each waits, counts its wake-up and waits again. The
// waker sets and at once clears the flag (a woken waiter keeps its wake-up), then yields until
// every waiter has counted itself, so one item is a waiter woken, resumed and parked again.
// Boost.Fiber has no event; its anchor is the same shape on a `condition_variable` whose
// `notify_all` wakes every waiter (each then retakes the mutex the wait needs, which tide's
// Event does not have).

constexpr int event_waiters = 10'000;

struct EventRound {
  tide::Event event;
  bool stop = false;
  int started = 0;
  long woken = 0;
};

tide::Task<void> event_waiter_task(EventRound& r) {
  ++r.started;
  while (true) {
    co_await r.event.wait();
    if (r.stop) co_return;
    ++r.woken;
  }
}

tide::Task<void> event_wake_tasks(benchmark::State& state) {
  EventRound r;
  std::vector<tide::JoinHandle<void>> waiters;
  waiters.reserve(event_waiters);
  for (int i = 0; i < event_waiters; ++i)
    waiters.push_back(tide::spawn(event_waiter_task(r)));
  while (r.started < event_waiters)  // each parks in the same step that counts it
    co_await tide::yield_now();
  long target = 0;
  for (auto _ : state) {
    target += event_waiters;
    r.event.set();
    r.event.clear();
    while (r.woken < target)
      co_await tide::yield_now();
  }
  r.stop = true;
  r.event.set();
  for (auto& w : waiters)
    co_await w;
  state.SetItemsProcessed(state.iterations() * event_waiters);
}

void BM_EventWakeAll_tide(benchmark::State& state) {
  tide::run(event_wake_tasks(state));
}

void BM_EventWakeAllFiber_tide(benchmark::State& state) {
  tide::Loop loop;
  EventRound r;
  std::vector<tide::Fiber<void>> waiters;
  waiters.reserve(event_waiters);
  for (int i = 0; i < event_waiters; ++i)
    waiters.push_back(tide::spawn_fiber(loop, [&r] {
      ++r.started;
      while (true) {
        tide::await(r.event.wait());
        if (r.stop) return;
        ++r.woken;
      }
    }));
  auto waker = tide::spawn_fiber(loop, [&] {
    while (r.started < event_waiters)
      tide::yield_now();
    long target = 0;
    for (auto _ : state) {
      target += event_waiters;
      r.event.set();
      r.event.clear();
      while (r.woken < target)
        tide::yield_now();
    }
    r.stop = true;
    r.event.set();
  });
  waker.join();
  (void)tide::joinall(waiters);
  state.SetItemsProcessed(state.iterations() * event_waiters);
}

void boost_event_wake(benchmark::State& state) {
  fibers::mutex m;
  fibers::condition_variable cv;
  long generation = 0;
  bool stop = false;
  int started = 0;
  long woken = 0;
  std::vector<fibers::fiber> waiters;
  waiters.reserve(event_waiters);
  for (int i = 0; i < event_waiters; ++i)
    waiters.emplace_back([&] {
      std::unique_lock lock(m);
      ++started;
      long seen = generation;
      while (true) {
        cv.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        ++woken;
      }
    });
  while (started < event_waiters)
    boost::this_fiber::yield();
  long target = 0;
  for (auto _ : state) {
    target += event_waiters;
    {
      std::lock_guard lock(m);
      ++generation;
    }
    cv.notify_all();
    while (woken < target)
      boost::this_fiber::yield();
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  for (auto& f : waiters)
    f.join();
  state.SetItemsProcessed(state.iterations() * event_waiters);
}

// ---- Queue put/get: one producer, one consumer, batches of 10,000 items --------------------
// The producer puts a batch, then yields until the consumer has got all of it, so the queue
// never holds more than a batch. Bounded: 63 items fit (Boost's buffered_channel holds one
// less than its power-of-two capacity, so 64 there); the producer waits whenever it is full,
// the consumer whenever it is empty. Unbounded: a batch always fits (Boost and Asio: a channel
// with room for 16,383 / 16,384), so the producer puts the whole batch without waiting and the
// consumer then takes it.

constexpr int queue_batch = 10'000;
constexpr int queue_bound = 63;
constexpr int queue_room = 16'384;

tide::Task<void> queue_consumer(tide::Queue<int>& q, long& got, long& sum) {
  while (true) {
    int v = co_await q.get();
    if (v < 0) co_return;
    sum += v;
    ++got;
  }
}

tide::Task<void> queue_tasks(benchmark::State& state, std::size_t maxsize) {
  tide::Queue<int> q(maxsize);
  long got = 0;
  long sum = 0;
  auto consumer = tide::spawn(queue_consumer(q, got, sum));
  long target = 0;
  for (auto _ : state) {
    target += queue_batch;
    for (int i = 0; i < queue_batch; ++i)
      co_await q.put(i);
    while (got < target)
      co_await tide::yield_now();
  }
  co_await q.put(-1);
  co_await consumer;
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * queue_batch);
}

void BM_QueueBounded_tide(benchmark::State& state) {
  tide::run(queue_tasks(state, queue_bound));
}
void BM_QueueUnbounded_tide(benchmark::State& state) {
  tide::run(queue_tasks(state, 0));
}

void queue_fibres(benchmark::State& state, std::size_t maxsize) {
  tide::Loop loop;
  tide::Queue<int> q(maxsize);
  long got = 0;
  long sum = 0;
  auto consumer = tide::spawn_fiber(loop, [&] {
    while (true) {
      int v = tide::await(q.get());
      if (v < 0) return;
      sum += v;
      ++got;
    }
  });
  auto producer = tide::spawn_fiber(loop, [&] {
    long target = 0;
    for (auto _ : state) {
      target += queue_batch;
      for (int i = 0; i < queue_batch; ++i)
        tide::await(q.put(i));
      while (got < target)
        tide::yield_now();
    }
    tide::await(q.put(-1));
  });
  producer.join();
  consumer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * queue_batch);
}

void BM_QueueBoundedFiber_tide(benchmark::State& state) {
  queue_fibres(state, queue_bound);
}
void BM_QueueUnboundedFiber_tide(benchmark::State& state) {
  queue_fibres(state, 0);
}

void boost_channel(benchmark::State& state, std::size_t capacity) {
  fibers::buffered_channel<int> channel(capacity);
  long got = 0;
  long sum = 0;
  fibers::fiber consumer([&] {
    int v = 0;
    while (channel.pop(v) == fibers::channel_op_status::success) {
      sum += v;
      ++got;
    }
  });
  fibers::fiber producer([&] {
    long target = 0;
    for (auto _ : state) {
      target += queue_batch;
      for (int i = 0; i < queue_batch; ++i)
        channel.push(i);
      while (got < target)
        boost::this_fiber::yield();
    }
    channel.close();
  });
  producer.join();
  consumer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * queue_batch);
}

void BM_QueueBounded_boost(benchmark::State& state) {
  boost_channel(state, queue_bound + 1);
}
void BM_QueueUnbounded_boost(benchmark::State& state) {
  boost_channel(state, queue_room);
}

using AsioChannel = asio::experimental::channel<void(boost::system::error_code, int)>;

asio::awaitable<void> asio_producer(benchmark::State& state, AsioChannel& channel,
                                    const long& got) {
  auto executor = co_await asio::this_coro::executor;
  long target = 0;
  for (auto _ : state) {
    target += queue_batch;
    for (int i = 0; i < queue_batch; ++i)
      co_await channel.async_send(boost::system::error_code{}, i, asio::use_awaitable);
    while (got < target)
      co_await asio::post(executor, asio::use_awaitable);
  }
  channel.close();
}

asio::awaitable<void> asio_consumer(AsioChannel& channel, long& got, long& sum) {
  while (true) {
    auto [ec, v] = co_await channel.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // closed
    sum += v;
    ++got;
  }
}

void asio_channel(benchmark::State& state, std::size_t capacity) {
  asio::io_context ctx(1);
  AsioChannel channel(ctx, capacity);
  long got = 0;
  long sum = 0;
  asio::co_spawn(ctx, asio_consumer(channel, got, sum), asio::detached);
  asio::co_spawn(ctx, asio_producer(state, channel, got), asio::detached);
  ctx.run();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * queue_batch);
}

void BM_QueueBounded_asio(benchmark::State& state) {
  asio_channel(state, queue_bound);
}
void BM_QueueUnbounded_asio(benchmark::State& state) {
  asio_channel(state, queue_room);
}

// ---- Mutex ---------------------------------------------------------------------------------
// Uncontended: lock and unlock with nobody else around. Boost.Fiber's mutex from the
// benchmark's thread (its main fibre).

void BM_LockUncontended_boost(benchmark::State& state) {
  fibers::mutex m;
  for (auto _ : state) {
    m.lock();
    m.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

// Hand-off between two fibres, one item a hand-off: the holder unlocks while the other waits,
// and the other runs next holding the lock. Boost.Fiber's unlock only makes the waiter ready,
// and a fibre that locks again before the waiter ran takes the lock back (barging), so a
// hand-off there needs the holder to yield after unlocking and before locking again, and to
// yield while holding, so that the other gets to wait: lock, yield, unlock, yield.
void BM_LockHandoff_boost(benchmark::State& state) {
  fibers::mutex m;
  bool stop = false;
  long handoffs = 0;
  auto body = [&] {
    while (!stop) {
      m.lock();
      ++handoffs;
      boost::this_fiber::yield();
      m.unlock();
      boost::this_fiber::yield();
    }
  };
  fibers::fiber other(body);
  fibers::fiber timed([&] {
    for (auto _ : state) {
      m.lock();
      ++handoffs;
      boost::this_fiber::yield();
      m.unlock();
      boost::this_fiber::yield();
    }
    stop = true;
  });
  timed.join();
  other.join();
  benchmark::DoNotOptimize(handoffs);
  // Each timed iteration hands the lock over and gets it back: two hand-offs.
  state.SetItemsProcessed(state.iterations() * 2);
}

tide::Task<void> lock_uncontended(benchmark::State& state) {
  tide::Mutex m;
  for (auto _ : state) {
    co_await m.lock();
    m.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LockUncontended_tide(benchmark::State& state) {
  tide::run(lock_uncontended(state));
}

void BM_LockUncontendedFiber_tide(benchmark::State& state) {
  tide::Loop loop;
  tide::Mutex m;
  tide::spawn_fiber(loop, [&] {
    for (auto _ : state) {
      tide::await(m.lock());
      m.unlock();
    }
  }).join();
  state.SetItemsProcessed(state.iterations());
}

// tide's unlock hands the lock to the waiter, so a holder that unlocks and locks again waits
// behind it: the timed side holds the lock and, each iteration, unlocks (hand-off to the
// other) and locks (the other hands it back after its own lock and unlock). Two hand-offs an
// iteration, no yield.
tide::Task<void> lock_other_task(tide::Mutex& m, const bool& stop) {
  while (true) {
    co_await m.lock();
    m.unlock();
    if (stop) co_return;
  }
}

tide::Task<void> lock_handoff(benchmark::State& state) {
  tide::Mutex m;
  bool stop = false;
  co_await m.lock();
  auto other = tide::spawn(lock_other_task(m, stop));
  co_await tide::yield_now();  // the other task now waits for the lock
  for (auto _ : state) {
    m.unlock();
    co_await m.lock();
  }
  stop = true;
  m.unlock();
  co_await other;
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_LockHandoff_tide(benchmark::State& state) {
  tide::run(lock_handoff(state));
}

void BM_LockHandoffFiber_tide(benchmark::State& state) {
  tide::Loop loop;
  tide::Mutex m;
  bool stop = false;
  auto timed = tide::spawn_fiber(loop, [&] {
    tide::await(m.lock());
    auto other = tide::spawn_fiber([&] {
      while (true) {
        tide::await(m.lock());
        m.unlock();
        if (stop) return;
      }
    });
    tide::yield_now();
    for (auto _ : state) {
      m.unlock();
      tide::await(m.lock());
    }
    stop = true;
    m.unlock();
    other.join();
  });
  timed.join();
  state.SetItemsProcessed(state.iterations() * 2);
}

// The Boost.Fiber pattern above (BM_LockHandoff_boost) run by tide tasks: the same code on both
// sides, although tide would hand the lock over without the yields.
tide::Task<void> lock_yield_side(tide::Mutex& m, long& handoffs, const bool& stop) {
  while (!stop) {
    co_await m.lock();
    ++handoffs;
    co_await tide::yield_now();
    m.unlock();
    co_await tide::yield_now();
  }
}

tide::Task<void> lock_handoff_yield(benchmark::State& state) {
  tide::Mutex m;
  bool stop = false;
  long handoffs = 0;
  auto other = tide::spawn(lock_yield_side(m, handoffs, stop));
  for (auto _ : state) {
    co_await m.lock();
    ++handoffs;
    co_await tide::yield_now();
    m.unlock();
    co_await tide::yield_now();
  }
  stop = true;
  co_await other;
  benchmark::DoNotOptimize(handoffs);
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_LockHandoffYield_tide(benchmark::State& state) {
  tide::run(lock_handoff_yield(state));
}

// ---- Semaphore: no anchor (Boost.Fiber and Asio have none) ---------------------------------
// Uncontended: acquire and release a free permit. Hand-off: one permit between two, as the
// mutex hand-off above (release hands the permit to the waiter; two hand-offs an iteration).

tide::Task<void> semaphore_uncontended(benchmark::State& state) {
  tide::Semaphore s(1);
  for (auto _ : state) {
    co_await s.acquire();
    s.release();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SemaphoreUncontended_tide(benchmark::State& state) {
  tide::run(semaphore_uncontended(state));
}

void BM_SemaphoreUncontendedFiber_tide(benchmark::State& state) {
  tide::Loop loop;
  tide::Semaphore s(1);
  tide::spawn_fiber(loop, [&] {
    for (auto _ : state) {
      tide::await(s.acquire());
      s.release();
    }
  }).join();
  state.SetItemsProcessed(state.iterations());
}

tide::Task<void> semaphore_other_task(tide::Semaphore& s, const bool& stop) {
  while (true) {
    co_await s.acquire();
    s.release();
    if (stop) co_return;
  }
}

tide::Task<void> semaphore_handoff(benchmark::State& state) {
  tide::Semaphore s(1);
  bool stop = false;
  co_await s.acquire();
  auto other = tide::spawn(semaphore_other_task(s, stop));
  co_await tide::yield_now();  // the other task now waits for the permit
  for (auto _ : state) {
    s.release();
    co_await s.acquire();
  }
  stop = true;
  s.release();
  co_await other;
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_SemaphoreHandoff_tide(benchmark::State& state) {
  tide::run(semaphore_handoff(state));
}

}  // namespace

BENCHMARK(BM_LockUncontended_tide);
BENCHMARK(BM_LockUncontended_boost);
BENCHMARK(BM_LockUncontendedFiber_tide);
BENCHMARK(BM_LockUncontended_boost)->Name("BM_LockUncontendedFiber_boost");
BENCHMARK(BM_LockHandoff_tide);
BENCHMARK(BM_LockHandoff_boost);
BENCHMARK(BM_LockHandoffFiber_tide);
BENCHMARK(BM_LockHandoff_boost)->Name("BM_LockHandoffFiber_boost");
BENCHMARK(BM_LockHandoffYield_tide);
BENCHMARK(BM_LockHandoff_boost)->Name("BM_LockHandoffYield_boost");
BENCHMARK(BM_QueueBounded_tide);
BENCHMARK(BM_QueueBounded_boost);
BENCHMARK(BM_QueueBounded_asio);
BENCHMARK(BM_QueueBoundedFiber_tide);
BENCHMARK(BM_QueueBounded_boost)->Name("BM_QueueBoundedFiber_boost");
BENCHMARK(BM_QueueUnbounded_tide);
BENCHMARK(BM_QueueUnbounded_boost);
BENCHMARK(BM_QueueUnbounded_asio);
BENCHMARK(BM_QueueUnboundedFiber_tide);
BENCHMARK(BM_QueueUnbounded_boost)->Name("BM_QueueUnboundedFiber_boost");
BENCHMARK(BM_SemaphoreUncontended_tide);
BENCHMARK(BM_SemaphoreUncontendedFiber_tide);
BENCHMARK(BM_SemaphoreHandoff_tide);
BENCHMARK(BM_EventWakeAll_tide);
BENCHMARK(boost_event_wake)->Name("BM_EventWakeAll_boost");
BENCHMARK(BM_EventWakeAllFiber_tide);
BENCHMARK(boost_event_wake)->Name("BM_EventWakeAllFiber_boost");

BENCHMARK_MAIN();
