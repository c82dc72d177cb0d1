// Seed: 002 (Python-并发编程), "守护线程": a daemon thread is not waited for: main prints "main"
// and the program ends before the thread wakes from its sleep, so "jack is over" never
// appears. A daemon thread becomes a detached task: `tide::run` returns once its main task
// has, and cancels what is left (the task sees Cancelled in its sleep and unwinds).
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/errors.hpp>
#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

using namespace std::chrono_literals;

namespace {

tide::Task<void> task(std::string name) {
  std::printf("%s is running\n", name.c_str());
  try {
    co_await tide::sleep_for(1s);  // time.sleep(1): never ends, main is done first
    std::printf("%s is over\n", name.c_str());
  } catch (const tide::Cancelled&) {
    std::printf("%s is cancelled: main is over\n", name.c_str());
    throw;
  }
}

tide::Task<void> main_task() {
  // [guide:thread-daemon]
  tide::spawn(task("jack")).detach();  // t.daemon = True; t.start()
  co_await tide::yield_now();          // let it start, as the Python thread would
  std::printf("main\n");
  // [guide-end]
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  tide::run(main_task());
  // The daemon's second's sleep was not waited for.
  std::printf("exited without waiting: %s\n",
              std::chrono::steady_clock::now() - start < 500ms ? "yes" : "no");
  return 0;
}

// Output:
// jack is running
// main
// jack is cancelled: main is over
// exited without waiting: yes
