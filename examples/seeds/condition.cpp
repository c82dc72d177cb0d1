// Seed: 003, the threading table, names the threading primitives, and issue 17
// asks for Condition, which no seed shows: a producer adds items one at a time and notifies;
// two consumers wait on the condition until there is an item (or the producer is done), the
// usual threading.Condition producer/consumer. Threads become tasks and the Condition a
// tide::Condition with its own mutex; notify() wakes the longest waiter, so the consumers take
// turns.
#include <chrono>
#include <cstdio>
#include <deque>
#include <string>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/condition.hpp>

using namespace std::chrono_literals;

namespace {

tide::Condition cond;  // cond = threading.Condition()
std::deque<int> items;
bool done = false;

// [guide:condition]
tide::Task<void> consumer(std::string name) {
  for (;;) {
    auto guard = co_await cond.scoped_lock();  // with cond:
    co_await cond.wait_for([] { return !items.empty() || done; });
    if (items.empty()) break;  // done, and nothing left
    const int item = items.front();
    items.pop_front();
    std::printf("%s consumed %d\n", name.c_str(), item);
  }
  std::printf("%s: no more items\n", name.c_str());
}

tide::Task<void> producer() {
  for (int i = 1; i <= 4; ++i) {
    co_await tide::sleep_for(2ms);
    auto guard = co_await cond.scoped_lock();
    items.push_back(i);
    std::printf("produced %d\n", i);
    cond.notify();  // cond.notify()
  }
  auto guard = co_await cond.scoped_lock();
  done = true;
  cond.notify_all();  // cond.notify_all()
}
// [guide-end]

tide::Task<void> main_task() {
  auto c1 = tide::spawn(consumer("consumer-1"));
  auto c2 = tide::spawn(consumer("consumer-2"));
  auto p = tide::spawn(producer());
  co_await p;
  co_await c1;
  co_await c2;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// produced 1
// consumer-1 consumed 1
// produced 2
// consumer-2 consumed 2
// produced 3
// consumer-1 consumed 3
// produced 4
// consumer-2 consumed 4
// consumer-2: no more items
// consumer-1: no more items
