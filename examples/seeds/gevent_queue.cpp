// Seed: 002 (Python-并发编程), "协程" / "gevent" (no program there; issue 17 asks for the
// producer/consumer with gevent queues): a boss greenlet puts tasks into a gevent.queue.Queue
// of size 3 (put waits while it is full) and three worker greenlets take them, yielding with
// gevent.sleep(0) after each. Greenlets become fibres and the queue a tide::Queue awaited with
// tide::await; the boss closes the queue when done (gevent would put a StopIteration), and a
// worker's get then raises QueueClosed once the queue is empty.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/sync/queue.hpp>

using namespace std::chrono_literals;

namespace {

tide::Queue<int> tasks(3);  // tasks = Queue(maxsize=3)

// [guide:gevent-queue]
void worker(const std::string& name) {
  try {
    for (;;) {
      const int task = tide::await(tasks.get());
      std::printf("Worker %s got task %d\n", name.c_str(), task);
      tide::sleep(0ms);  // gevent.sleep(0)
    }
  } catch (const tide::QueueClosed&) {
    std::printf("Quitting time! (%s)\n", name.c_str());
  }
}

void boss() {
  for (int i = 1; i <= 9; ++i) {
    tide::await(tasks.put(i));  // waits while three tasks are queued
    std::printf("boss put %d\n", i);
  }
  tasks.close();
}
// [guide-end]

}  // namespace

int main() {
  tide::Loop loop;
  std::vector<tide::Fiber<void>> all;
  all.push_back(tide::spawn_fiber(loop, boss));
  for (const char* name : {"steve", "john", "nancy"})
    all.push_back(tide::spawn_fiber(loop, worker, std::string(name)));
  tide::joinall(all);
  return 0;
}

// Output:
// boss put 1
// boss put 2
// boss put 3
// Worker steve got task 1
// Worker john got task 2
// Worker nancy got task 3
// boss put 4
// boss put 5
// boss put 6
// Worker steve got task 4
// Worker john got task 5
// Worker nancy got task 6
// boss put 7
// boss put 8
// boss put 9
// Worker steve got task 7
// Worker john got task 8
// Worker nancy got task 9
// Quitting time! (steve)
// Quitting time! (john)
// Quitting time! (nancy)
