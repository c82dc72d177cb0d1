// Seed: 002 (Python-并发编程), "死锁与递归锁" (递归锁): the deadlock program again with
// mutexA = mutexB = RLock(): one recursive lock that its holder may take again, so no thread
// waits for itself and all ten finish. Threads become tasks and the RLock a
// tide::RecursiveMutex (held by the spawned task, including the fun1/fun2 tasks it awaits).
// It hands itself to waiters in FIFO order, so the order is fixed: Thread-1 runs fun1 and
// fun2 alone, then each thread's fun1, then each thread's fun2 (Python's RLock lets a
// thread barge, so its order varies).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/recursive_mutex.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:rlock-recursive]
tide::RecursiveMutex rlock;
tide::RecursiveMutex& mutexA = rlock;  // mutexA = mutexB = RLock()
tide::RecursiveMutex& mutexB = rlock;
// [guide-end]

class MyThread {
 public:
  explicit MyThread(int number) : name_("Thread-" + std::to_string(number)) {}

  tide::Task<void> run() {
    co_await fun1();
    co_await fun2();
  }

 private:
  tide::Task<void> fun1() {
    co_await mutexA.lock();
    std::printf("%s 抢到A锁\n", name_.c_str());
    co_await mutexB.lock();  // the same lock, taken again by its holder
    std::printf("%s 抢到B锁\n", name_.c_str());
    mutexB.unlock();
    mutexA.unlock();
  }

  tide::Task<void> fun2() {
    co_await mutexB.lock();
    std::printf("%s 抢到B锁\n", name_.c_str());
    co_await tide::sleep_for(2ms);  // time.sleep(2), holding the lock
    co_await mutexA.lock();
    std::printf("%s 抢到A锁\n", name_.c_str());
    mutexB.unlock();
    mutexA.unlock();
  }

  std::string name_;
};

tide::Task<void> main_task() {
  std::vector<MyThread> threads;
  threads.reserve(10);
  std::vector<tide::JoinHandle<void>> handles;
  for (int i = 1; i <= 10; ++i) {
    threads.emplace_back(i);
    handles.push_back(tide::spawn(threads.back().run()));
  }
  for (auto& h : handles)
    co_await h;
  std::printf("all ten threads ended; the lock is %s\n", rlock.locked() ? "held" : "free");
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// Thread-1 抢到A锁
// Thread-1 抢到B锁
// Thread-1 抢到B锁
// Thread-1 抢到A锁
// Thread-2 抢到A锁
// Thread-2 抢到B锁
// Thread-3 抢到A锁
// Thread-3 抢到B锁
// Thread-4 抢到A锁
// Thread-4 抢到B锁
// Thread-5 抢到A锁
// Thread-5 抢到B锁
// Thread-6 抢到A锁
// Thread-6 抢到B锁
// Thread-7 抢到A锁
// Thread-7 抢到B锁
// Thread-8 抢到A锁
// Thread-8 抢到B锁
// Thread-9 抢到A锁
// Thread-9 抢到B锁
// Thread-10 抢到A锁
// Thread-10 抢到B锁
// Thread-2 抢到B锁
// Thread-2 抢到A锁
// Thread-3 抢到B锁
// Thread-3 抢到A锁
// Thread-4 抢到B锁
// Thread-4 抢到A锁
// Thread-5 抢到B锁
// Thread-5 抢到A锁
// Thread-6 抢到B锁
// Thread-6 抢到A锁
// Thread-7 抢到B锁
// Thread-7 抢到A锁
// Thread-8 抢到B锁
// Thread-8 抢到A锁
// Thread-9 抢到B锁
// Thread-9 抢到A锁
// Thread-10 抢到B锁
// Thread-10 抢到A锁
// all ten threads ended; the lock is free
