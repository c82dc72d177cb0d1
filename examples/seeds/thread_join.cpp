// Seed: 002 (Python-并发编程), "线程对象的join方法": main waits for the thread with join()
// before it prints "main". A Python thread becomes a task; join() is `co_await` on its handle.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

tide::Task<void> task(std::string name) {
  std::printf("%s is running\n", name.c_str());
  co_await tide::sleep_for(10ms);  // time.sleep(1)
  std::printf("%s is over\n", name.c_str());
}

tide::Task<void> main_task() {
  // [guide:thread-join]
  auto t = tide::spawn(task("jack"));  // t = Thread(target=task, args=('jack',)); t.start()
  co_await t;                          // t.join()
  std::printf("main\n");
  // [guide-end]
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// jack is running
// jack is over
// main
