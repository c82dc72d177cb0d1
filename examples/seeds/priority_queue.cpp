// Seed: 002 (Python-并发编程), "线程q": PriorityQueue(4) takes four (priority, text) pairs;
// get() returns the smallest, (-5, '444'), which makes room for one more put. queue's
// PriorityQueue becomes tide::PriorityQueue (smallest first, as Python's heap), on one loop.
#include <cstdio>
#include <string>
#include <utility>

#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/priority_queue.hpp>

namespace {

void print(const std::pair<int, std::string>& item) {
  std::printf("(%d, '%s')\n", item.first, item.second.c_str());
}

tide::Task<void> main_task() {
  // [guide:priority-queue]
  tide::PriorityQueue<std::pair<int, std::string>> q(4);
  co_await q.put({100, "222"});
  co_await q.put({10, "111"});
  co_await q.put({0, "333"});
  co_await q.put({-5, "444"});
  print(co_await q.get());  // print(q.get())
  co_await q.put({100, "222"});
  // [guide-end]
  std::printf("full: %s\n", q.full() ? "True" : "False");
  while (auto item = q.try_get())  // the rest, smallest first
    print(*item);
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// (-5, '444')
// full: True
// (0, '333')
// (10, '111')
// (100, '222')
// (100, '222')
