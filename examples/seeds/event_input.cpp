// Seed: 003, "线程的事件示例": ten threads print 'start' and
// wait on an event; main reads a line and sets the event if it is 'true', and every thread
// prints 'execute'. The threads are tasks waiting on a tide::Event; raw_input is a line read
// from standard input on a pool thread (a blocking read must not hold the loop; the tests
// type "true").
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>
#include <tide/sync/event.hpp>

namespace {

tide::Task<void> do_(tide::Event& event) {
  std::printf("start\n");
  co_await event.wait();
  std::printf("execute\n");
}

// raw_input(): one line of standard input, read where blocking is allowed.
tide::Task<std::string> raw_input() {
  co_return co_await tide::to_thread([] {
    std::string line;
    std::getline(std::cin, line);
    return line;
  });
}

tide::Task<void> main_task() {
  // [guide:event-input]
  tide::Event event_obj;
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 10; ++i)
    threads.push_back(tide::spawn(do_(event_obj)));
  event_obj.clear();
  co_await tide::yield_now();  // every thread has printed 'start' and waits
  const std::string answer = co_await raw_input();
  std::printf("input:%s\n", answer.c_str());
  if (answer == "true") event_obj.set();
  // [guide-end]
  if (!event_obj.is_set()) {
    // Python would hang here with ten threads waiting forever; end them instead.
    for (auto& t : threads)
      t.cancel();
    std::printf("not set: the threads are cancelled\n");
  }
  for (auto& t : threads) {
    try {
      co_await t;
    } catch (const tide::Cancelled&) {
      // a thread cancelled above ends here; nothing else to do
    }
  }
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Input: true
// Output:
// start
// start
// start
// start
// start
// start
// start
// start
// start
// start
// input:true
// execute
// execute
// execute
// execute
// execute
// execute
// execute
// execute
// execute
// execute
