// Seed: 002 (Python-并发编程), "开启线程的两种方式": start a thread from a function and from a
// Thread subclass; each prints "is running", sleeps, prints "is over", while main prints "main".
// A Python thread becomes a task on the loop. A spawned task starts at the loop's next turn,
// so "main" comes first here (a Python thread usually gets to its first print before it).
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:thread-start]
// Thread(target=task, args=('jack',)): a function that returns a task.
tide::Task<void> task(std::string name) {
  std::printf("%s is running\n", name.c_str());
  co_await tide::sleep_for(10ms);  // time.sleep(1)
  std::printf("%s is over\n", name.c_str());
}
// [guide-end]

// class MyThread(Thread): the state lives in the object, run() is the task.
class MyThread {
 public:
  explicit MyThread(std::string name) : name_(std::move(name)) {}
  tide::Task<void> run() {
    std::printf("%s is running\n", name_.c_str());
    co_await tide::sleep_for(10ms);
    std::printf("%s is over\n", name_.c_str());
  }

 private:
  std::string name_;
};

tide::Task<void> main_task() {
  auto t = tide::spawn(task("jack"));  // t.start()
  std::printf("main\n");
  co_await t;  // Python waits for non-daemon threads at exit; a handle is awaited

  MyThread thread("tom");
  auto t2 = tide::spawn(thread.run());
  std::printf("main\n");
  co_await t2;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// main
// jack is running
// jack is over
// main
// tom is running
// tom is over
