// Seed: 002 (Python-并发编程), "队列" (queue.Queue(5)): five puts fill the queue (full() turns
// True), five gets empty it (empty() turns True), and a sixth get with timeout=3 raises
// queue.Empty ("empty error"). queue.Queue between threads becomes a tide::Queue between the
// tasks of one loop; get(timeout=3) becomes get_for, which gives nullopt when the time runs
// out (tide::ThreadQueue is the one for real threads: thread_queue_get.cpp).
#include <chrono>
#include <cstdio>
#include <optional>

#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/queue.hpp>

using namespace std::chrono_literals;

namespace {

const char* py(bool b) {
  return b ? "True" : "False";
}

tide::Task<void> main_task() {
  // [guide:queue-basics]
  tide::Queue<int> q(5);
  co_await q.put(111);
  co_await q.put(222);
  co_await q.put(333);
  std::printf("%s\n", py(q.full()));
  co_await q.put(444);
  co_await q.put(555);
  std::printf("%s\n", py(q.full()));

  const int v1 = co_await q.get();
  const int v2 = co_await q.get();
  const int v3 = co_await q.get();
  std::printf("%s\n", py(q.empty()));
  const int v4 = co_await q.get();
  const int v5 = co_await q.get();
  std::printf("%s\n", py(q.empty()));
  // v6 = q.get() would wait forever; q.get_nowait() is try_get()
  const std::optional<int> v6 = co_await q.get_for(20ms);  // q.get(timeout=3)
  if (!v6) std::printf("empty error\n");
  // [guide-end]
  std::printf("%d %d %d %d %d\n", v1, v2, v3, v4, v5);
  std::printf("get_nowait on the empty queue: %s\n", q.try_get() ? "an item" : "nothing");
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// False
// True
// False
// True
// empty error
// 111 222 333 444 555
// get_nowait on the empty queue: nothing
