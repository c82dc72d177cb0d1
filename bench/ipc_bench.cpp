// IPC between a parent and one forked child: a Channel ping-pong of ints, a ProcessQueue
// ping-pong (one queue each way), and two processes taking and releasing one ProcessLock in
// a loop. Prints the time per round trip (per lock/unlock pair). 20,000 rounds each.
//   TIDE_BACKEND=io_uring|epoll build/bench/bench/ipc_bench
#include <chrono>
#include <cstdio>
#include <string>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_lock.hpp>
#include <tide/io/process_queue.hpp>

using Clock = std::chrono::steady_clock;
constexpr int rounds = 20000;

tide::Task<void> channel_bench() {
  auto ends = tide::Channel::pair();
  auto child = tide::Process::start([&]() -> tide::Task<void> {
    ends.first.close();
    for (int i = 0; i < rounds; ++i)
      co_await ends.second.send(co_await ends.second.recv<int>());
  });
  ends.second.close();
  auto t0 = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    co_await ends.first.send(i);
    (void)co_await ends.first.recv<int>();
  }
  auto us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / rounds;
  std::printf("Channel<int> round trip: %.1f us\n", us);
  co_await child.wait();
}

tide::Task<void> queue_bench() {
  tide::ProcessQueue<int> there, back;
  auto child = tide::Process::start([&]() -> tide::Task<void> {
    for (int i = 0; i < rounds; ++i)
      co_await back.put(co_await there.get());
  });
  auto t0 = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    co_await there.put(i);
    (void)co_await back.get();
  }
  auto us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / rounds;
  std::printf("ProcessQueue<int> round trip: %.1f us\n", us);
  co_await child.wait();
}

tide::Task<void> lock_bench() {
  tide::ProcessLock lock;
  auto child = tide::Process::start([&]() -> tide::Task<void> {
    for (int i = 0; i < rounds; ++i) {
      co_await lock.lock();
      lock.unlock();
    }
  });
  auto t0 = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    co_await lock.lock();
    lock.unlock();
  }
  co_await child.wait();
  auto ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / (2 * rounds);
  std::printf("ProcessLock lock+unlock, 2 processes hammering: %.0f ns per pair\n", ns);
}

int main() {
  tide::run(channel_bench());
  tide::run(queue_bench());
  tide::run(lock_bench());
}
