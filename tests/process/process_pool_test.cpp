#include <tide/io/process_pool.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/io/process.hpp>

#include "sanitizers.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::ProcessPool;
using tide::Task;

// ---- state shared with the workers (mapped before any pool exists, so every fork has it) ----

struct Shared {
  std::atomic<int> running_pid{0};  // set by a task that blocks, once it runs
  std::atomic<int> calls{0};        // calls of count_call
};
Shared& shared() {
  static Shared* s = [] {
    void* p =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    return new (p) Shared;
  }();
  return *s;
}
void reset_shared() {
  shared().running_pid = 0;
  shared().calls = 0;
}

std::mutex g_user_mutex;  // locked by a parent thread in the fork-safety test

// ---- functions the workers run ---------------------------------------------------------------

int square(int x) {
  return x * x;
}
std::string greet(std::string name, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += "hello " + name + ";";
  return out;
}
void do_nothing() {}
int throws_invalid(int x) {
  throw std::invalid_argument("bad input " + std::to_string(x));
}
int segfaults(int) {
  volatile std::uintptr_t address = 16;  // read at run time: g++ -O2 rejects a constant one
  *reinterpret_cast<volatile int*>(address) = 1;
  return 0;
}
int aborts(int) {
  std::abort();
}
int exits(int) {
  ::_exit(3);
}
int blocks_forever(int) {
  shared().running_pid = ::getpid();
  for (;;)
    ::pause();
}
int count_call(int x) {
  shared().calls.fetch_add(1);
  return x;
}
int malloc_and_lock(int n) {
  std::lock_guard lock(g_user_mutex);
  std::vector<std::string> many;
  for (int i = 0; i < n; ++i)
    many.emplace_back(100 + i, 'x');
  return static_cast<int>(many.size());
}

// Waits (on the loop) until a blocking task reports that it runs.
Task<int> running_pid() {
  while (shared().running_pid.load() == 0)
    co_await tide::sleep_for(1ms);
  co_return shared().running_pid.load();
}

// Children of ours that are zombies, from /proc.
int zombie_children() {
  int zombies = 0;
  const pid_t self = ::getpid();
  if (DIR* dir = ::opendir("/proc")) {
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      rest >> state >> ppid;
      if (ppid == self && state == 'Z') ++zombies;
    }
    ::closedir(dir);
  }
  return zombies;
}

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

template <class Body>
void in_task(Body body) {
  reset_shared();
  tide::testing::run_clean(std::move(body));
}
template <class Body>
void in_fibre(Body body) {
  reset_shared();
  tide::testing::run_clean([&]() -> Task<void> { co_await tide::spawn_fiber(body); });
}

// ---- results ---------------------------------------------------------------------------------

TEST(ProcessPool, SubmitReturnsResultsInATask) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    EXPECT_EQ(co_await pool.submit(square, 7), 49);
    EXPECT_EQ(co_await pool.submit(greet, std::string("tide"), 2), "hello tide;hello tide;");
    co_await pool.submit(do_nothing);
    EXPECT_EQ(co_await pool.submit([](int a, int b) { return a - b; }, 10, 3), 7);
    EXPECT_EQ(pool.size(), 2u);
  });
}

TEST(ProcessPool, SubmitReturnsResultsInAFibre) {
  in_fibre([] {
    ProcessPool pool({.workers = 2});
    EXPECT_EQ(tide::await(pool.submit(square, 9)), 81);
    EXPECT_EQ(tide::await(pool.submit([](std::string s) { return s + "!"; }, std::string("x"))),
              "x!");
  });
}

TEST(ProcessPool, ManyCallsInFlightEachGetTheirOwnResult) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2, .max_in_flight = 16});
    std::vector<tide::PoolFuture<int>> futures;
    for (int i = 0; i < 2000; ++i)
      futures.push_back(pool.submit(square, i));
    for (int i = 0; i < 2000; ++i)
      EXPECT_EQ(co_await futures[static_cast<std::size_t>(i)], i * i);
  });
}

TEST(ProcessPool, MapReturnsResultsInOrder) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    std::vector<int> items(1000);
    std::iota(items.begin(), items.end(), 0);
    auto results = co_await pool.map(square, items);
    EXPECT_EQ(results.size(), items.size());
    for (std::size_t i = 0; i < items.size(); ++i)
      EXPECT_EQ(results[i], items[i] * items[i]);
    // (named: g++ 12 rejects an initializer-list temporary inside a co_await expression)
    const std::vector<int> three{3, 1, 2};
    auto small = co_await pool.map(square, three, 1);
    EXPECT_EQ(small, (std::vector<int>{9, 1, 4}));
    auto empty = co_await pool.map(square, std::vector<int>{});
    EXPECT_TRUE(empty.empty());
  });
}

TEST(ProcessPool, MapInAFibre) {
  in_fibre([] {
    ProcessPool pool({.workers = 2});
    const std::vector<int> items{1, 2, 3};
    auto results = tide::await(pool.map([](int x) { return x + 1; }, items));
    EXPECT_EQ(results, (std::vector<int>{2, 3, 4}));
  });
}

TEST(ProcessPool, ImapUnorderedYieldsEveryResultOnce) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    const std::vector<int> items{1, 2, 3, 4, 5, 6, 7};
    auto stream = pool.imap_unordered(square, items, 2);
    std::multiset<int> seen;
    while (auto value = co_await stream.next())
      seen.insert(*value);
    EXPECT_EQ(seen, (std::multiset<int>{1, 4, 9, 16, 25, 36, 49}));
  });
}

TEST(ProcessPool, ApplyAsyncRunsCallbacksOnTheLoop) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    const auto loop_thread = std::this_thread::get_id();
    int value = 0;
    std::string error;
    bool on_loop = false;
    auto ok = pool.apply_async(square, std::tuple{6}, [&](const int& v) {
      value = v;
      on_loop = std::this_thread::get_id() == loop_thread;
    });
    (void)pool.apply_async(throws_invalid, std::tuple{1}, {}, [&](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const tide::RemoteError& r) {
        error = r.type_name();
      }
    });                                // dropped at once: the callbacks still run
    EXPECT_EQ(co_await ok.get(), 36);  // Python's AsyncResult.get()
    co_await pool.submit(do_nothing);  // answers come in order per worker: let the other one in
    pool.close();
    co_await pool.join();
    EXPECT_EQ(value, 36);
    EXPECT_TRUE(on_loop);
    EXPECT_EQ(error, "std::invalid_argument");
  });
}

// ---- failures --------------------------------------------------------------------------------

TEST(ProcessPool, AWorkerExceptionArrivesWithItsTypeNameAndMessage) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    try {
      (void)co_await pool.submit(throws_invalid, 5);
      ADD_FAILURE() << "no exception";
    } catch (const tide::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "std::invalid_argument");
      EXPECT_EQ(e.message(), "bad input 5");
    }
    EXPECT_EQ(co_await pool.submit(square, 3), 9);  // the worker goes on
  });
}

TEST(ProcessPool, AWorkerExceptionInAFibre) {
  in_fibre([] {
    ProcessPool pool({.workers = 1});
    EXPECT_THROW((void)tide::await(pool.submit(throws_invalid, 1)), tide::RemoteError);
  });
}

// A crash fails only the call that ran; calls queued behind it on that worker run elsewhere
// (or on its replacement) and the pool goes on.
template <class Crash>
Task<void> crash_scenario(Crash crash, int signal, int status) {
  ProcessPool pool({.workers = 2});
  (void)co_await pool.submit(square, 1);
  const auto before = pool.pids();
  std::vector<tide::PoolFuture<int>> others;
  auto crashing = pool.submit(crash, 0);
  for (int i = 0; i < 20; ++i)
    others.push_back(pool.submit(square, i));
  try {
    (void)co_await crashing;
    ADD_FAILURE() << "no WorkerCrashed";
  } catch (const tide::WorkerCrashed& e) {
    if (!tide::testing::sanitized) {  // ASan turns a SIGSEGV into exit(1)
      EXPECT_EQ(e.signal(), signal) << e.what();
      if (signal == 0) {
        EXPECT_EQ(e.exit_status(), status) << e.what();
      }
    }
    EXPECT_NE(std::string(e.what()).find("worker"), std::string::npos);
  }
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(co_await others[static_cast<std::size_t>(i)], i * i);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(co_await pool.submit(square, i), i * i);
  EXPECT_EQ(pool.pids().size(), 2u);
  EXPECT_NE(pool.pids(), before);
}

TEST(ProcessPool, ASegfaultFailsOnlyItsCallWithWorkerCrashed) {
  in_task([]() -> Task<void> { co_await crash_scenario(segfaults, SIGSEGV, 0); });
}
TEST(ProcessPool, AnAbortFailsOnlyItsCallWithWorkerCrashed) {
  in_task([]() -> Task<void> { co_await crash_scenario(aborts, SIGABRT, 0); });
}
TEST(ProcessPool, AnExitFailsOnlyItsCallWithWorkerCrashed) {
  in_task([]() -> Task<void> { co_await crash_scenario(exits, 0, 3); });
}
TEST(ProcessPool, ACrashInAFibre) {
  in_fibre([] {
    ProcessPool pool({.workers = 1});
    EXPECT_THROW((void)tide::await(pool.submit(exits, 0)), tide::WorkerCrashed);
    EXPECT_EQ(tide::await(pool.submit(square, 4)), 16);
  });
}

TEST(ProcessPool, AWorkerKilledMidTaskIsReportedWithin100msAndReplacedWithoutLeakingAnFd) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    (void)co_await pool.submit(square, 1);
    const int fds = tide::testing::open_fd_count();
    auto stuck = pool.submit(blocks_forever, 0);
    const pid_t victim = co_await running_pid();
    const auto killed_at = std::chrono::steady_clock::now();
    ::kill(victim, SIGKILL);
    try {
      (void)co_await stuck;
      ADD_FAILURE() << "no WorkerCrashed";
    } catch (const tide::WorkerCrashed& e) {
      EXPECT_EQ(e.signal(), SIGKILL);
      EXPECT_EQ(e.pid(), victim);
    }
    const auto took = std::chrono::steady_clock::now() - killed_at;
    EXPECT_LT(took, 100ms);
    EXPECT_EQ(co_await pool.submit(square, 5), 25);
    EXPECT_EQ(pool.pids().size(), 2u);
    EXPECT_EQ(tide::testing::open_fd_count(), fds);
  });
}

TEST(ProcessPool, ADeadlineKillsAStuckWorkerAndReplacesIt) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    (void)co_await pool.submit(square, 1);
    const auto before = pool.pids();
    EXPECT_THROW((void)co_await pool.submit_with_timeout(50ms, blocks_forever, 0),
                 tide::TaskTimeout);
    EXPECT_EQ(co_await pool.submit_with_timeout(5s, square, 6), 36);
    EXPECT_NE(pool.pids(), before);
  });
}

TEST(ProcessPool, ADeadlineInAFibre) {
  in_fibre([] {
    ProcessPool pool({.workers = 1});
    EXPECT_THROW((void)tide::await(pool.submit_with_timeout(30ms, blocks_forever, 0)),
                 tide::TimeoutError);
    EXPECT_EQ(tide::await(pool.submit(square, 2)), 4);
  });
}

// ---- closing ---------------------------------------------------------------------------------

TEST(ProcessPool, SubmitAfterCloseThrowsAndJoinWaitsForAcceptedCalls) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    std::vector<tide::PoolFuture<int>> futures;
    for (int i = 0; i < 50; ++i)
      futures.push_back(pool.submit(count_call, i));
    pool.close();
    EXPECT_THROW((void)pool.submit(square, 1), tide::PoolClosed);
    co_await pool.join();
    EXPECT_EQ(shared().calls.load(), 50);
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(co_await futures[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(pool.server_pid(), -1);
    EXPECT_EQ(zombie_children(), 0);
  });
}

TEST(ProcessPool, ADetachedFutureStillRunsItsCall) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    for (int i = 0; i < 20; ++i)
      pool.submit(count_call, i).detach();  // Python's apply_async with its result ignored
    pool.close();
    co_await pool.join();
    EXPECT_EQ(shared().calls.load(), 20);
  });
}

int print_in_worker(int x) {
  std::printf("worker %d\n", x);  // no flush: stdout is a pipe, so this stays in the buffer
  return x;
}

// Python's pool workers flush stdout when they end, and forking one never prints twice what
// the parent had buffered. Here the parent's line sits in its stdio buffer (stdout is a pipe)
// when the pool forks, and the worker's line in the worker's buffer when it exits: each must
// be printed once.
TEST(ProcessPool, WhatTheParentHadBufferedAndWhatAWorkerPrintsAppearOnce) {
  in_task([]() -> Task<void> {
    tide::ProcessOptions options;
    options.stdout_mode = tide::Stdio::pipe;
    auto child = tide::Process::start(options, []() -> Task<int> {
      std::printf("before the pool\n");
      ProcessPool pool({.workers = 1});
      const int x = co_await pool.submit(print_in_worker, 7);
      pool.close();
      co_await pool.join();
      co_return x == 7 ? 0 : 1;
    });
    auto out = co_await child.communicate();
    EXPECT_EQ(out.out, "before the pool\nworker 7\n");
    EXPECT_EQ(out.status, 0);
  });
}

TEST(ProcessPool, JoinBeforeCloseIsAUsageError) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    EXPECT_THROW(co_await pool.join(), tide::UsageError);
    co_return;
  });
}

TEST(ProcessPool, TerminateFailsWhatIsPendingAndStopsAtOnce) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    auto stuck = pool.submit(blocks_forever, 0);
    auto queued = pool.submit(square, 2);
    (void)co_await running_pid();
    const auto pids = pool.pids();
    pool.terminate();
    EXPECT_THROW((void)co_await stuck, tide::PoolClosed);
    EXPECT_THROW((void)co_await queued, tide::PoolClosed);
    co_await pool.join();
    for (pid_t pid : pids)
      EXPECT_FALSE(process_exists(pid));
    EXPECT_THROW((void)pool.submit(square, 1), tide::PoolClosed);
  });
}

TEST(ProcessPool, ShutdownWaitsOrCancelsQueuedCalls) {
  in_task([]() -> Task<void> {
    {
      ProcessPool pool({.workers = 1});
      auto a = pool.submit(square, 3);
      co_await pool.shutdown();
      EXPECT_TRUE(a.ready());
      EXPECT_EQ(co_await a, 9);
    }
    {
      ProcessPool pool({.workers = 1, .max_in_flight = 1});
      auto running = pool.submit_with_timeout(2s, count_call, 1);
      auto queued = pool.submit(count_call, 2);
      co_await tide::sleep_for(0ms);  // let the first one leave
      co_await pool.shutdown(/*wait=*/true, /*cancel_futures=*/true);
      EXPECT_EQ(co_await running, 1);
      EXPECT_THROW((void)co_await queued, tide::PoolCancelled);
      EXPECT_EQ(shared().calls.load(), 1);
    }
  });
}

TEST(ProcessPool, ShutdownWithoutWaitWindsDownByItself) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    auto a = pool.submit(square, 4);
    co_await pool.shutdown(/*wait=*/false);
    EXPECT_EQ(co_await a, 16);
    co_await pool.join();
  });
}

// ---- cancellation ----------------------------------------------------------------------------

TEST(ProcessPool, CancellingAWaiterWithdrawsACallNoWorkerHasTaken) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1, .max_in_flight = 1});
    auto stuck = pool.submit_with_timeout(300ms, blocks_forever, 0);
    (void)co_await running_pid();
    auto waiter = tide::spawn(
        [](ProcessPool& p) -> Task<int> { co_return co_await p.submit(count_call, 1); }(pool));
    co_await tide::sleep_for(1ms);
    waiter.cancel();
    EXPECT_THROW((void)co_await waiter, tide::Cancelled);
    EXPECT_THROW((void)co_await stuck, tide::TaskTimeout);
    EXPECT_EQ(co_await pool.submit(count_call, 2), 2);
    EXPECT_EQ(shared().calls.load(), 1);  // the withdrawn call never ran
  });
}

TEST(ProcessPool, CancellingAWaiterOfARunningCallResumesItAtOnce) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    auto waiter = tide::spawn([](ProcessPool& p) -> Task<int> {
      co_return co_await p.submit_with_timeout(300ms, blocks_forever, 0);
    }(pool));
    (void)co_await running_pid();
    const auto cancelled_at = std::chrono::steady_clock::now();
    waiter.cancel();
    EXPECT_THROW((void)co_await waiter, tide::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 200ms);
    // The abandoned call's deadline still frees the worker; its answer lands nowhere.
    EXPECT_EQ(co_await pool.submit(square, 3), 9);
  });
}

TEST(ProcessPool, CancellingAFibreWithdrawsItsCall) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1, .max_in_flight = 1});
    auto stuck = pool.submit_with_timeout(300ms, blocks_forever, 0);
    (void)co_await running_pid();
    auto fibre = tide::spawn_fiber([&] { return tide::await(pool.submit(count_call, 1)); });
    co_await tide::sleep_for(1ms);
    fibre.kill();
    EXPECT_THROW((void)co_await fibre, tide::Cancelled);
    EXPECT_THROW((void)co_await stuck, tide::TaskTimeout);
    EXPECT_EQ(co_await pool.submit(count_call, 2), 2);  // queued behind the withdrawn one
    EXPECT_EQ(shared().calls.load(), 1);
  });
}

TEST(ProcessPool, FutureCancelWithdrawsAQueuedCall) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1, .max_in_flight = 1});
    auto first = pool.submit(square, 2);
    auto second = pool.submit(count_call, 1);
    EXPECT_TRUE(second.cancel());
    EXPECT_EQ(co_await first, 4);
    EXPECT_THROW((void)co_await second, tide::PoolCancelled);
    EXPECT_FALSE(first.cancel());
    EXPECT_EQ(shared().calls.load(), 0);
  });
}

// ---- processes and threads -------------------------------------------------------------------

TEST(ProcessPool, DestroyingThePoolLeavesNoProcessZombieOrFd) {
  reset_shared();
  const int fds = tide::testing::open_fd_count();
  std::vector<pid_t> pids;
  pid_t server = -1;
  {
    tide::Loop loop;
    loop.run_until_complete([&]() -> Task<void> {
      ProcessPool pool({.workers = 2});
      auto stuck = pool.submit(blocks_forever, 0);
      (void)co_await running_pid();
      pids = pool.pids();
      server = pool.server_pid();
    }());
  }
  EXPECT_EQ(pids.size(), 2u);
  for (pid_t pid : pids)
    EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(process_exists(server));
  EXPECT_EQ(zombie_children(), 0);
  EXPECT_EQ(tide::testing::open_fd_count(), fds);
}

TEST(ProcessPool, UseFromAnotherThreadIsAUsageError) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 1});
    EXPECT_EQ(co_await pool.submit(square, 2), 4);
    bool refused = false;
    std::thread other([&] {
      tide::Loop loop;
      loop.run_until_complete([&]() -> Task<void> {
        try {
          (void)pool.submit(square, 3);
        } catch (const tide::UsageError&) {
          refused = true;
        }
        co_return;
      }());
    });
    other.join();
    EXPECT_TRUE(refused);
  });
}

// The fork-safety test: threads started after the pool hold the malloc arena locks
// (a thread hammering malloc) and a user mutex while a worker is replaced; the new worker,
// forked by the single-threaded server, still runs calls that malloc and take that mutex.
TEST(ProcessPool, WorkersForkedWhileOtherThreadsHoldLocksStillRun) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2});
    EXPECT_EQ(co_await pool.submit(malloc_and_lock, 10), 10);
    std::atomic<bool> stop{false};
    std::thread hammer([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<std::string> v;
        for (int i = 0; i < 64; ++i)
          v.emplace_back(64 + i, 'y');
      }
    });
    std::atomic<bool> holding{false};
    std::thread holder([&] {
      std::lock_guard lock(g_user_mutex);
      holding = true;
      while (!stop.load(std::memory_order_relaxed))
        std::this_thread::yield();
    });
    while (!holding.load())
      co_await tide::sleep_for(1ms);
    // Force replacements while the locks are held.
    for (int round = 0; round < 3; ++round) {
      auto stuck = pool.submit(blocks_forever, 0);
      const pid_t victim = co_await running_pid();
      shared().running_pid = 0;
      ::kill(victim, SIGKILL);
      EXPECT_THROW((void)co_await stuck, tide::WorkerCrashed);
    }
    std::vector<tide::PoolFuture<int>> futures;
    for (int i = 0; i < 20; ++i)  // a deadline, so a deadlocked worker fails instead of hanging
      futures.push_back(pool.submit_with_timeout(10s, malloc_and_lock, 50));
    for (auto& f : futures)
      EXPECT_EQ(co_await f.result(), 50);  // Python's Future.result()
    stop = true;
    hammer.join();
    holder.join();
  });
}

TEST(ProcessPool, MaxTasksPerWorkerReplacesWorkersWithoutLosingCalls) {
  in_task([]() -> Task<void> {
    ProcessPool pool({.workers = 2, .max_tasks_per_worker = 3});
    std::set<pid_t> seen;
    std::vector<tide::PoolFuture<int>> futures;
    for (int i = 0; i < 30; ++i)
      futures.push_back(pool.submit(count_call, i));
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(co_await futures[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(shared().calls.load(), 30);
  });
}

}  // namespace
