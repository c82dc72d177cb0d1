// Seed: 000 (多任务编程), "threading模块创建线程", 实例1 and 实例2: two threads (one from a
// function, one from a Thread subclass) each print "线程<id>：<ctime>" three times, 0.1 s apart.
// Threads become tasks on one loop: both sleep from the same turn, so thread 1 always wakes
// first (the seed's order varies from run to run).
#include <chrono>
#include <cstdio>
#include <ctime>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

// ctime() with the day of the month zero-padded ("Thu Aug 20 21:22:35 2020").
void print_line(int id) {
  char text[64];
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S %Y", &local);
  std::printf("线程%d：%s\n", id, text);
}

// 实例1: def do(id)
tide::Task<void> do_(int id) {
  for (int i = 0; i < 3; ++i) {
    co_await tide::sleep_for(20ms);  // sleep(0.1)
    print_line(id);
  }
}

// 实例2: class MyThread(Thread) whose run() calls do(self.id).
class MyThread {
 public:
  explicit MyThread(int id) : id_(id) {}
  tide::Task<void> run() { return do_(id_); }

 private:
  int id_;
};

tide::Task<void> main_task() {
  // [guide:thread-ctime]
  auto t1 = tide::spawn(do_(1));  // Thread(target=do, args=(1,)).start()
  auto t2 = tide::spawn(do_(2));
  co_await t1;
  co_await t2;
  // [guide-end]
  MyThread m1(1);
  MyThread m2(2);
  auto t3 = tide::spawn(m1.run());
  auto t4 = tide::spawn(m2.run());
  co_await t3;
  co_await t4;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
// 线程1：<word> <word> <int> <int>:<int>:<int> <int>
// 线程2：<word> <word> <int> <int>:<int>:<int> <int>
