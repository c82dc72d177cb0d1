// Seed: 002 (Python-并发编程), "死锁与递归锁" (死锁): ten threads each take lock A then B
// (fun1), then B then A with a sleep between (fun2). Thread-1 holds B and sleeps while
// Thread-2 takes A and waits for B; Thread-1 then waits for A: a deadlock, and the seed hangs
// after four lines. Threads become tasks and the locks tide::Mutex; the four lines come out in
// the seed's order. fun2 waits for A with `lock_for`, so the deadlock shows itself as a
// timeout: the task gives up, releases B, and the others go on (each in turn meets the same
// cycle and times out the same way).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/mutex.hpp>

using namespace std::chrono_literals;

namespace {

tide::Mutex mutexA;
tide::Mutex mutexB;

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
    co_await mutexB.lock();
    std::printf("%s 抢到B锁\n", name_.c_str());
    mutexB.unlock();
    mutexA.unlock();
  }

  // [guide:deadlock-timeout]
  tide::Task<void> fun2() {
    co_await mutexB.lock();
    std::printf("%s 抢到B锁\n", name_.c_str());
    co_await tide::sleep_for(5ms);  // time.sleep(2)
    // mutexA.acquire() would wait forever: A's holder waits for B, which this task holds.
    // (Not `if (!co_await ...)`: g++ 12.2 miscompiles a co_await in an if condition.)
    const bool got_a = co_await mutexA.lock_for(20ms);
    if (!got_a) {
      std::printf("%s 等A锁超时: deadlock, gives up B\n", name_.c_str());
      mutexB.unlock();
      co_return;
    }
    std::printf("%s 抢到A锁\n", name_.c_str());
    mutexB.unlock();
    mutexA.unlock();
  }
  // [guide-end]

  std::string name_;
};

tide::Task<void> main_task() {
  std::vector<MyThread> threads;
  threads.reserve(10);
  std::vector<tide::JoinHandle<void>> handles;
  for (int i = 1; i <= 10; ++i) {
    threads.emplace_back(i);
    handles.push_back(tide::spawn(threads.back().run()));  // t.start()
  }
  for (auto& h : handles)
    co_await h;
  std::printf("all ten threads ended\n");
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
// Thread-2 抢到A锁
// Thread-1 等A锁超时: deadlock, gives up B
// Thread-2 抢到B锁
// Thread-2 抢到B锁
// Thread-3 抢到A锁
// Thread-2 等A锁超时: deadlock, gives up B
// Thread-3 抢到B锁
// Thread-3 抢到B锁
// Thread-4 抢到A锁
// Thread-3 等A锁超时: deadlock, gives up B
// Thread-4 抢到B锁
// Thread-4 抢到B锁
// Thread-5 抢到A锁
// Thread-4 等A锁超时: deadlock, gives up B
// Thread-5 抢到B锁
// Thread-5 抢到B锁
// Thread-6 抢到A锁
// Thread-5 等A锁超时: deadlock, gives up B
// Thread-6 抢到B锁
// Thread-6 抢到B锁
// Thread-7 抢到A锁
// Thread-6 等A锁超时: deadlock, gives up B
// Thread-7 抢到B锁
// Thread-7 抢到B锁
// Thread-8 抢到A锁
// Thread-7 等A锁超时: deadlock, gives up B
// Thread-8 抢到B锁
// Thread-8 抢到B锁
// Thread-9 抢到A锁
// Thread-8 等A锁超时: deadlock, gives up B
// Thread-9 抢到B锁
// Thread-9 抢到B锁
// Thread-10 抢到A锁
// Thread-9 等A锁超时: deadlock, gives up B
// Thread-10 抢到B锁
// Thread-10 抢到B锁
// Thread-10 抢到A锁
// all ten threads ended
