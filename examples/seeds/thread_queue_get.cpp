// Seed: 004 (多进程、线程、协程、事件驱动及select poll epoll), "使用queue实现进程间数据的交互": a
// thread puts [22, "world", 'hello'] into a queue.Queue and main's q.get() receives it: threads
// share the queue. Here the thread is a real std::thread and the queue a tide::ThreadQueue, which
// plain threads use by blocking and tasks by awaiting: main's get suspends only its task, the loop
// is free meanwhile.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/thread_queue.hpp>

namespace {

struct Item {  // [22, "world", 'hello']
  int number;
  std::string first;
  std::string second;
};

// [guide:thread-queue-get]
tide::Task<void> main_task(tide::ThreadQueue<Item>& q) {
  std::thread t([&q] { q.put(Item{22, "world", "hello"}); });  // func() on its own thread
  const Item item = co_await q.get();                          // print(q.get())
  std::printf("[%d, '%s', '%s']\n", item.number, item.first.c_str(), item.second.c_str());
  t.join();
}
// [guide-end]

}  // namespace

int main() {
  tide::ThreadQueue<Item> q;
  tide::run(main_task(q));
  return 0;
}

// Output:
// [22, 'world', 'hello']
