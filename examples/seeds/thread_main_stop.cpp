// Seed: 003, "线程示例": ten threads each sleep one second and print
// 'thread'+i, while the main thread prints 'main thread stop' at once (Python 2's print
// statement becomes printf). Threads become tasks; they all sleep from the same loop turn, so
// they wake in the order they started, and the program waits for them (non-daemon threads).
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

tide::Task<void> show(int arg) {
  co_await tide::sleep_for(10ms);  // time.sleep(1)
  std::printf("thread%d\n", arg);
}

tide::Task<void> main_task() {
  // [guide:thread-main-stop]
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 10; ++i)
    threads.push_back(tide::spawn(show(i)));
  std::printf("main thread stop\n");
  for (auto& t : threads)  // the interpreter waits for non-daemon threads before it exits
    co_await t;
  // [guide-end]
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// main thread stop
// thread0
// thread1
// thread2
// thread3
// thread4
// thread5
// thread6
// thread7
// thread8
// thread9
