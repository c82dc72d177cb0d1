// io::Signals on every backend: deliveries reach tasks and fibres whatever thread the kernel
// runs the handler on; every subscription and every waiter sees each delivery; deliveries
// nobody waits for stay pending; the old disposition comes back; bad input is refused.
#include <tide/io/signals.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/timeout.hpp>

#include "test_loop.hpp"
#include "thread_state.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Signals;
using tide::Task;
using tide::testing::run_clean;

Task<int> wait_one(Signals& signals) {
  co_return co_await signals.wait();
}

// Blocks `signal` in the calling thread for the scope, so only other threads can run its
// handler (the mask is restored after).
class BlockedHere {
 public:
  explicit BlockedHere(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockedHere() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockedHere(const BlockedHere&) = delete;
  BlockedHere& operator=(const BlockedHere&) = delete;

 private:
  sigset_t old_;
};

// A thread that blocks no signal and idles until released: the target of pthread_kill. It
// waits on a condition variable, not a bare futex: TSan runs a handler at once only in a call
// it knows to block, and defers it otherwise until the thread's next intercepted call.
class IdleThread {
 public:
  IdleThread()
      : thread_([this] {
          sigset_t none;
          sigemptyset(&none);
          ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
          std::unique_lock lock(mutex_);
          started_ = true;
          changed_.notify_all();
          changed_.wait(lock, [this] { return released_; });
        }) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return started_; });
  }
  ~IdleThread() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  IdleThread(const IdleThread&) = delete;
  IdleThread& operator=(const IdleThread&) = delete;
  pthread_t handle() { return thread_.native_handle(); }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool started_ = false;
  bool released_ = false;
  std::thread thread_;
};

TEST(Signals, RaiseWakesAWaitingTask) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1, SIGUSR2};
    auto waiter = tide::spawn(wait_one(signals));
    co_await tide::yield_now();
    EXPECT_EQ(signals.waiting(), 1u);
    ::raise(SIGUSR2);
    EXPECT_EQ(co_await waiter, SIGUSR2);
  });
}

TEST(Signals, KillOfTheProcessWakesAWaitingFibre) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    int got = 0;
    auto fibre = tide::spawn_fiber([&] { got = tide::await(signals.wait()); });
    co_await tide::yield_now();
    EXPECT_EQ(signals.waiting(), 1u);
    ::kill(::getpid(), SIGUSR1);
    co_await fibre.join();
    EXPECT_EQ(got, SIGUSR1);
  });
}

TEST(Signals, AHandlerOnAnotherThreadWakesATask) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    IdleThread other;
    BlockedHere blocked(SIGUSR1);  // the loop's thread cannot run the handler
    auto waiter = tide::spawn(wait_one(signals));
    co_await tide::yield_now();
    EXPECT_EQ(::pthread_kill(other.handle(), SIGUSR1), 0);
    EXPECT_EQ(co_await waiter, SIGUSR1);
  });
}

TEST(Signals, AHandlerOnAnotherThreadWakesAFibre) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR2};
    IdleThread other;
    BlockedHere blocked(SIGUSR2);
    int got = 0;
    auto fibre = tide::spawn_fiber([&] { got = tide::await(signals.wait()); });
    co_await tide::yield_now();
    EXPECT_EQ(::pthread_kill(other.handle(), SIGUSR2), 0);
    co_await fibre.join();
    EXPECT_EQ(got, SIGUSR2);
  });
}

// The thread sends the signal to the whole process and blocks nothing itself; the loop's
// thread blocks it, so the sender's own handler run is the delivery the loop must see.
TEST(Signals, ASignalFromAThreadThatBlocksNothingReachesTheLoop) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    BlockedHere blocked(SIGUSR1);
    auto waiter = tide::spawn(wait_one(signals));
    co_await tide::yield_now();
    std::thread sender([] {
      sigset_t none;
      sigemptyset(&none);
      ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
      ::kill(::getpid(), SIGUSR1);
    });
    sender.join();
    EXPECT_EQ(co_await waiter, SIGUSR1);
  });
}

// The handler runs on the loop's own thread while it sleeps in the backend (io_uring_enter,
// epoll_wait, poll): the sleep ends with EINTR and the loop finds the pipe readable.
TEST(Signals, ASignalLandingOnTheSleepingLoopThreadWakesIt) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR2};
    const pid_t loop_thread = tide::testing::this_thread_id();
    std::thread sender([loop_thread] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGUSR2);
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // only the loop's thread can take it
      tide::testing::wait_until_blocked(loop_thread);
      ::kill(::getpid(), SIGUSR2);
    });
    EXPECT_EQ(co_await signals.wait(), SIGUSR2);
    sender.join();
  });
}

TEST(Signals, ADeliveryWakesEveryWaiterOnTheObject) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    auto first = tide::spawn(wait_one(signals));
    auto second = tide::spawn(wait_one(signals));
    int in_fibre = 0;
    auto fibre = tide::spawn_fiber([&] { in_fibre = tide::await(signals.wait()); });
    co_await tide::yield_now();
    EXPECT_EQ(signals.waiting(), 3u);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await first, SIGUSR1);
    EXPECT_EQ(co_await second, SIGUSR1);
    co_await fibre.join();
    EXPECT_EQ(in_fibre, SIGUSR1);
    EXPECT_EQ(signals.try_wait(), std::nullopt);  // one delivery, handed to all three
  });
}

TEST(Signals, EveryObjectSubscribedToASignalSeesEachDelivery) {
  run_clean([]() -> Task<void> {
    Signals one{SIGUSR1};
    Signals both{SIGUSR1, SIGUSR2};
    auto waiter = tide::spawn(wait_one(one));
    co_await tide::yield_now();
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await waiter, SIGUSR1);
    EXPECT_EQ(co_await both.wait(), SIGUSR1);
    ::raise(SIGUSR2);
    EXPECT_EQ(co_await both.wait(), SIGUSR2);
    EXPECT_EQ(one.try_wait(), std::nullopt);
  });
}

TEST(Signals, ADeliveryNobodyWaitsForIsKeptAndCoalesced) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1, SIGUSR2};
    ::raise(SIGUSR2);
    ::raise(SIGUSR1);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await signals.wait(), SIGUSR1);  // lowest number first
    int in_fibre = 0;
    auto fibre = tide::spawn_fiber([&] { in_fibre = tide::await(signals.wait()); });
    co_await fibre.join();
    EXPECT_EQ(in_fibre, SIGUSR2);
    EXPECT_EQ(signals.try_wait(), std::nullopt);  // the two SIGUSR1 were one
  });
}

TEST(Signals, ACancelledWaitTakesNothingAndHoldsNoOperation) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    auto stays = tide::spawn(wait_one(signals));
    auto leaves = tide::spawn(wait_one(signals));
    co_await tide::yield_now();
    leaves.cancel();
    EXPECT_THROW(co_await leaves, tide::Cancelled);
    EXPECT_EQ(signals.waiting(), 1u);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await stays, SIGUSR1);

    // The last waiter cancelled: the delivery that comes afterwards stays pending.
    auto alone = tide::spawn(wait_one(signals));
    co_await tide::yield_now();
    alone.cancel();
    EXPECT_THROW(co_await alone, tide::Cancelled);
    EXPECT_EQ(signals.waiting(), 0u);
    // Nobody waits, so the pipe is no longer watched (io_uring reaps the cancellation within
    // an iteration or two).
    for (int i = 0; i < 100 && tide::Loop::current().stats().pending_io > 0; ++i)
      co_await tide::yield_now();
    EXPECT_EQ(tide::Loop::current().stats().pending_io, 0u);
    ::raise(SIGUSR1);
    EXPECT_EQ(signals.try_wait(), SIGUSR1);
  });
}

TEST(Signals, ACancelledFibreWaitLeavesTheQueue) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    bool cancelled = false;
    auto fibre = tide::spawn_fiber([&] {
      try {
        (void)tide::await(signals.wait());
      } catch (const tide::Cancelled&) {
        cancelled = true;
        throw;
      }
    });
    co_await tide::yield_now();
    EXPECT_EQ(signals.waiting(), 1u);
    fibre.kill();  // FiberExit, a Cancelled, at its wait
    try {
      co_await fibre.join();
    } catch (const tide::Cancelled&) {
      // A killed fibre's join may report the kill; either way it has ended.
    }
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(fibre.killed());
    EXPECT_EQ(signals.waiting(), 0u);
  });
}

TEST(Signals, AWaitThatTimesOutLeavesTheNextDeliveryPending) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGUSR1};
    EXPECT_THROW((void)co_await tide::timeout(2ms, signals.wait()), tide::TimeoutError);
    bool fibre_timed_out = false;
    auto fibre = tide::spawn_fiber([&] {
      try {
        (void)tide::await(tide::timeout(2ms, signals.wait()));
      } catch (const tide::TimeoutError&) {
        fibre_timed_out = true;
      }
    });
    co_await fibre.join();
    EXPECT_TRUE(fibre_timed_out);
    EXPECT_EQ(signals.waiting(), 0u);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await signals.wait(), SIGUSR1);
  });
}

TEST(Signals, DestroyingTheObjectFailsItsWaiters) {
  run_clean([]() -> Task<void> {
    auto signals = std::make_unique<Signals>(std::initializer_list<int>{SIGUSR1});
    auto waiter = tide::spawn(wait_one(*signals));
    co_await tide::yield_now();
    signals.reset();
    EXPECT_THROW(co_await waiter, std::system_error);
  });
}

TEST(Signals, AddAndRemoveChangeTheSubscription) {
  run_clean([]() -> Task<void> {
    Signals signals{};
    EXPECT_FALSE(signals.contains(SIGUSR1));
    signals.add(SIGUSR1);
    signals.add(SIGUSR1);  // no effect
    EXPECT_TRUE(signals.contains(SIGUSR1));
    ::raise(SIGUSR1);
    signals.remove(SIGUSR1);  // drops the pending delivery too
    signals.add(SIGUSR1);
    EXPECT_EQ(signals.try_wait(), std::nullopt);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await signals.wait(), SIGUSR1);
  });
}

std::atomic<int> g_old_handler_runs{0};
extern "C" void old_handler(int) {
  g_old_handler_runs.fetch_add(1);
}

TEST(Signals, TheOldDispositionComesBackWithTheLastSubscription) {
  struct sigaction mine {};
  mine.sa_handler = &old_handler;
  sigemptyset(&mine.sa_mask);
  struct sigaction saved {};
  ASSERT_EQ(::sigaction(SIGUSR1, &mine, &saved), 0);
  g_old_handler_runs = 0;
  run_clean([]() -> Task<void> {
    auto first = std::make_unique<Signals>(std::initializer_list<int>{SIGUSR1});
    {
      Signals second{SIGUSR1};
      ::raise(SIGUSR1);
      EXPECT_EQ(co_await second.wait(), SIGUSR1);
    }
    ::raise(SIGUSR1);  // still taken by `first`
    EXPECT_EQ(g_old_handler_runs.load(), 0);
    EXPECT_EQ(co_await first->wait(), SIGUSR1);
    first.reset();
    struct sigaction now {};
    ::sigaction(SIGUSR1, nullptr, &now);
    EXPECT_EQ(now.sa_handler, &old_handler);
    ::raise(SIGUSR1);
    EXPECT_EQ(g_old_handler_runs.load(), 1);
    co_return;
  });
  ::sigaction(SIGUSR1, &saved, nullptr);
}

TEST(Signals, AForkedChildGetsTheOldDispositionBack) {
  run_clean([]() -> Task<void> {
    Signals signals{SIGTERM};
    const pid_t child = ::fork();
    if (child == 0) {
      struct sigaction now {};
      ::sigaction(SIGTERM, nullptr, &now);
      ::_exit(now.sa_handler == SIG_DFL ? 0 : 1);
    }
    EXPECT_GT(child, 0);
    int status = 0;
    EXPECT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    co_return;
  });
}

void expect_refused(int signal, const std::string& named) {
  run_clean([&]() -> Task<void> {
    try {
      Signals signals{SIGUSR1, signal};
      ADD_FAILURE() << "signal " << signal << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
    }
    Signals other{};
    EXPECT_THROW(other.add(signal), std::invalid_argument);
    co_return;
  });
}

TEST(Signals, RefusesSignalsThatCannotBeWaitedFor) {
  expect_refused(SIGKILL, "SIGKILL cannot be caught");
  expect_refused(SIGSTOP, "SIGSTOP cannot be caught");
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP})
    expect_refused(fault, "synchronous fault signal");
  expect_refused(SIGSEGV, "SIGSEGV");
  expect_refused(0, "0 is not a signal number");
  expect_refused(-3, "-3 is not a signal number");
  expect_refused(NSIG, std::to_string(NSIG) + " is not a signal number");
  expect_refused(32, "reserved");
  // A refused constructor took nothing: SIGUSR1 is back to what it was.
  struct sigaction now {};
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

}  // namespace
