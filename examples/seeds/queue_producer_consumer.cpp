// Seed: 002 (Python-并发编程), "生产者消费者模型", with threads and queue.Queue instead of
// processes (issue 17's queue.Queue producer/consumer; the process version is the process
// seeds' port): producers jack (bread) and json (pizza) each make items, sleeping a random
// 1-3 s before each; consumers tom and tina take them, sleeping 1-3 s after each; once the
// producers are joined, main puts one None per consumer to stop them. Threads become tasks
// and the queue a tide::Queue; every sleep is the same 5 ms, so the interleaving is fixed, and
// the two Nones become close(): a get on a closed, drained queue raises QueueClosed.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/errors.hpp>
#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/queue.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:queue-producer-consumer]
tide::Task<void> producer(std::string name, std::string food, tide::Queue<std::string>& q) {
  for (int i = 0; i < 3; ++i) {
    std::string data = name + "生产了" + food + std::to_string(i);
    co_await tide::sleep_for(5ms);  // time.sleep(random.randint(1, 3))
    std::printf("%s\n", data.c_str());
    co_await q.put(std::move(data));
  }
}

tide::Task<void> consumer(std::string name, tide::Queue<std::string>& q) {
  for (;;) {
    std::string food;
    try {
      food = co_await q.get();
    } catch (const tide::QueueClosed&) {  // if food is None: break
      break;
    }
    co_await tide::sleep_for(5ms);
    std::printf("%s吃了%s\n", name.c_str(), food.c_str());
  }
}
// [guide-end]

tide::Task<void> main_task() {
  tide::Queue<std::string> q;
  auto p1 = tide::spawn(producer("jack", "bread", q));
  auto p2 = tide::spawn(producer("json", "pizza", q));
  auto c1 = tide::spawn(consumer("tom", q));
  auto c2 = tide::spawn(consumer("tina", q));
  co_await p1;
  co_await p2;
  q.close();  // q.put(None); q.put(None)
  co_await c1;
  co_await c2;
  std::printf("main: every item eaten\n");
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// jack生产了bread0
// json生产了pizza0
// jack生产了bread1
// json生产了pizza1
// tom吃了jack生产了bread0
// tina吃了json生产了pizza0
// jack生产了bread2
// json生产了pizza2
// tom吃了jack生产了bread1
// tina吃了json生产了pizza1
// tom吃了jack生产了bread2
// tina吃了json生产了pizza2
// main: every item eaten
