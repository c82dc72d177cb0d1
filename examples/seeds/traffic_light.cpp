// Seed: 002 (Python-并发编程), "Event事件": a light thread prints "red light", waits 3 s,
// prints "green light" and sets the event; twenty car threads print "<i> car waiting", wait
// for the event, and print "<i> car running". Threads become tasks, the event a tide::Event
// (which wakes its waiters in the order they came), and 3 s becomes 30 ms.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/event.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:traffic-light]
tide::Event event;

tide::Task<void> light() {
  std::printf("red light\n");
  co_await tide::sleep_for(30ms);  // time.sleep(3)
  std::printf("green light\n");
  event.set();
}

tide::Task<void> car(int name) {
  std::printf("%d car waiting\n", name);
  co_await event.wait();
  std::printf("%d car running\n", name);
}
// [guide-end]

tide::Task<void> main_task() {
  std::vector<tide::JoinHandle<void>> threads;
  threads.push_back(tide::spawn(light()));
  for (int i = 0; i < 20; ++i)
    threads.push_back(tide::spawn(car(i)));
  for (auto& t : threads)
    co_await t;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// red light
// 0 car waiting
// 1 car waiting
// 2 car waiting
// 3 car waiting
// 4 car waiting
// 5 car waiting
// 6 car waiting
// 7 car waiting
// 8 car waiting
// 9 car waiting
// 10 car waiting
// 11 car waiting
// 12 car waiting
// 13 car waiting
// 14 car waiting
// 15 car waiting
// 16 car waiting
// 17 car waiting
// 18 car waiting
// 19 car waiting
// green light
// 0 car running
// 1 car running
// 2 car running
// 3 car running
// 4 car running
// 5 car running
// 6 car running
// 7 car running
// 8 car running
// 9 car running
// 10 car running
// 11 car running
// 12 car running
// 13 car running
// 14 car running
// 15 car running
// 16 car running
// 17 car running
// 18 car running
// 19 car running
