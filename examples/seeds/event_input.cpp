// Seed: 003, "线程的事件示例": ten threads print 'start' and
// wait on an event; main reads a line and sets the event if it is 'true', and every thread
// prints 'execute'. Python 2's raw_input reads the terminal; here the answer is the program's
// argument (ctest passes "true"), and the threads are tasks waiting on a tide::Event.
#include <cstdio>
#include <cstring>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/event.hpp>

namespace {

tide::Task<void> do_(tide::Event& event) {
  std::printf("start\n");
  co_await event.wait();
  std::printf("execute\n");
}

tide::Task<void> main_task(const char* answer) {
  // [guide:event-input]
  tide::Event event_obj;
  std::vector<tide::JoinHandle<void>> threads;
  for (int i = 0; i < 10; ++i)
    threads.push_back(tide::spawn(do_(event_obj)));
  event_obj.clear();
  co_await tide::yield_now();  // every thread has printed 'start' and waits
  std::printf("input:%s\n", answer);
  if (std::strcmp(answer, "true") == 0) event_obj.set();
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

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ANSWER   (\"true\" sets the event)\n", argv[0]);
    return 2;
  }
  tide::run(main_task(argv[1]));
  return 0;
}

// Test arguments: true
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
