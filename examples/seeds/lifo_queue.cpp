// Seed: none of the five has a LifoQueue program; issue 17 asks for one beside 002's
// PriorityQueue ("线程q"): queue.LifoQueue is a stack, get() takes the item put last. It
// becomes tide::LifoQueue on one loop; a getter that waits on the empty stack gets the next
// item put.
#include <cstdio>

#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/lifo_queue.hpp>

namespace {

tide::Task<void> getter(tide::LifoQueue<int>& q) {
  const int item = co_await q.get();  // waits: the stack is empty
  std::printf("the waiting getter got %d\n", item);
}

tide::Task<void> main_task() {
  // [guide:lifo-queue]
  tide::LifoQueue<int> q(3);
  for (int i = 1; i <= 3; ++i)
    co_await q.put(i);
  std::printf("full: %s\n", q.full() ? "True" : "False");
  while (!q.empty())
    std::printf("%d\n", co_await q.get());  // 3 2 1: last in, first out
  // [guide-end]
  auto t = tide::spawn(getter(q));
  co_await tide::yield_now();  // the getter waits now
  co_await q.put(4);
  co_await t;
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// full: True
// 3
// 2
// 1
// the waiting getter got 4
