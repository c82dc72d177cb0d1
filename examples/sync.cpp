// threading-style synchronisation on tide, from tasks and fibres at once, with only
// <tide/tide.hpp>. The Python it mirrors (the seeds' threading and multiprocessing examples):
//
//     sp = Semaphore(5)                      # at most 5 workers inside at once
//     q = JoinableQueue(); q.put(x) ... q.task_done(); q.join()
//     event.wait() / event.set()             # the traffic light
//     lock.acquire(); gl_num += 1; lock.release()
//     BoundedSemaphore(2).release()          # ValueError: released too often
//
// Unlike Python's threads there is no GIL to share and no thread to switch: everything below
// runs on one loop thread, and a primitive wakes its waiters in the order they came.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include <tide/tide.hpp>

using namespace std::chrono_literals;

namespace {

struct Counts {
  int inside = 0;       // workers inside the semaphore now
  int most_inside = 0;  // the most ever seen at once
  int total = 0;        // the counter the mutex protects
  int consumed = 0;     // items the consumers took
};

// A task: waits for the light, then works inside the semaphore and bumps the counter.
tide::Task<void> task_worker(tide::Semaphore& room, tide::Event& green, tide::Mutex& lock,
                             Counts& counts) {
  co_await green.wait();
  co_await room.acquire();
  counts.most_inside = std::max(counts.most_inside, ++counts.inside);
  co_await tide::sleep_for(1ms);
  --counts.inside;
  room.release();
  co_await lock.lock();
  const int seen = counts.total;
  co_await tide::yield_now();  // another worker runs here: without the lock it would lose this
  counts.total = seen + 1;
  lock.unlock();
}

// A fibre doing the same with tide::await (gevent style).
void fibre_worker(tide::Semaphore& room, tide::Event& green, tide::Mutex& lock, Counts& counts) {
  tide::await(green.wait());
  tide::await(room.acquire());
  counts.most_inside = std::max(counts.most_inside, ++counts.inside);
  tide::sleep(1ms);
  --counts.inside;
  room.release();
  tide::await(lock.lock());
  const int seen = counts.total;
  tide::yield_now();
  counts.total = seen + 1;
  lock.unlock();
}

tide::Task<void> consumer(tide::Queue<int>& queue, Counts& counts) {
  for (;;) {
    int item = 0;
    try {
      item = co_await queue.get();
    } catch (const tide::QueueClosed&) {
      co_return;
    }
    counts.consumed += item > 0 ? 1 : 0;
    queue.task_done();
  }
}

}  // namespace

int main() {
  tide::Loop loop;
  tide::Semaphore room(5);
  tide::Event green;
  tide::Mutex lock;
  Counts counts;

  // 10 tasks and 10 fibres wait for the light, then share the room and the counter.
  std::vector<tide::JoinHandle<void>> tasks;
  std::vector<tide::Fiber<void>> fibres;
  for (int i = 0; i < 10; ++i) {
    tasks.push_back(loop.spawn(task_worker(room, green, lock, counts)));
    fibres.push_back(tide::spawn_fiber(loop, fibre_worker, std::ref(room), std::ref(green),
                                       std::ref(lock), std::ref(counts)));
  }
  loop.run_once(0ms);  // everybody is waiting for the light
  std::printf("light is red: %d workers done\n", counts.total);
  green.set();
  tide::joinall(fibres);
  loop.run_until_complete([](std::vector<tide::JoinHandle<void>>& all) -> tide::Task<void> {
    for (auto& t : all)
      co_await t;
  }(tasks));
  std::printf("20 workers done: counter %d, at most %d inside the Semaphore(5)\n", counts.total,
              counts.most_inside);

  // JoinableQueue: a producer puts 100 items, two consumers take them, join() returns once
  // every item is marked done.
  tide::Queue<int> queue(10);
  int joined_after = -1;
  loop.run_until_complete([](tide::Queue<int>& q, Counts& c, int& after) -> tide::Task<void> {
    auto a = tide::spawn(consumer(q, c));
    auto b = tide::spawn(consumer(q, c));
    for (int i = 1; i <= 100; ++i)
      co_await q.put(i);
    co_await q.join();
    after = c.consumed;
    q.close();
    co_await a;
    co_await b;
  }(queue, counts, joined_after));
  std::printf("queue joined after %d of 100 items were consumed\n", joined_after);

  // BoundedSemaphore: releasing more than was acquired is a bug, reported at once.
  tide::BoundedSemaphore bounded(2);
  bool caught = false;
  try {
    bounded.release();
  } catch (const tide::UsageError& e) {
    caught = true;
    std::printf("BoundedSemaphore: %s\n", e.what());
  }

  const bool ok = counts.total == 20 && counts.most_inside <= 5 && joined_after == 100 && caught;
  std::printf(ok ? "ok\n" : "FAILED\n");
  return ok ? 0 : 1;
}
