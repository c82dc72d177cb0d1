// Seed: 002 (Python-并发编程), "生产者消费者模型", the JoinableQueue version: two producers make
// ten foods each, two daemon consumers eat them and call task_done(); the parent joins the
// producers, then the queue (q.join() returns once every food is done), and ends, which
// kills the daemon consumers. tide::ProcessQueue has task_done() and join() itself. The
// seed's random 1-3 s pauses are fixed 1-3 ms. Who eats which food depends on timing.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using namespace std::chrono_literals;

void producer(std::string name, std::string food, tide::ProcessQueue<std::string>& q) {
  for (int i = 0; i < 10; ++i) {
    const std::string data = name + "生产了" + food + std::to_string(i);
    tide::sleep((i % 3 + 1) * 1ms);
    std::printf("%s\n", data.c_str());
    tide::await(q.put(data));
  }
}

// [guide:joinable-queue]
void consumer(std::string name, tide::ProcessQueue<std::string>& q) {
  for (;;) {
    const std::string food = tide::await(q.get());
    tide::sleep(1ms);
    std::printf("%s吃了%s\n", name.c_str(), food.c_str());
    q.task_done();
  }
}

tide::Task<int> amain() {
  tide::ProcessQueue<std::string> q;
  auto p1 = tide::Process::start(producer, "jack", "bread", q);
  auto p2 = tide::Process::start(producer, "json", "pizza", q);
  auto c1 = tide::Process::start({.daemon = true}, consumer, "tom", q);
  auto c2 = tide::Process::start({.daemon = true}, consumer, "tina", q);
  co_await p1.wait();
  co_await p2.wait();
  co_await q.join();  // every food put has been eaten
  std::printf("all eaten\n");
  co_return 0;  // c1 and c2 are daemons: killed as their Process objects go
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ jack生产了bread0
// ~ jack生产了bread1
// ~ jack生产了bread2
// ~ jack生产了bread3
// ~ jack生产了bread4
// ~ jack生产了bread5
// ~ jack生产了bread6
// ~ jack生产了bread7
// ~ jack生产了bread8
// ~ jack生产了bread9
// ~ json生产了pizza0
// ~ json生产了pizza1
// ~ json生产了pizza2
// ~ json生产了pizza3
// ~ json生产了pizza4
// ~ json生产了pizza5
// ~ json生产了pizza6
// ~ json生产了pizza7
// ~ json生产了pizza8
// ~ json生产了pizza9
// ~ <word>吃了jack生产了bread0
// ~ <word>吃了jack生产了bread1
// ~ <word>吃了jack生产了bread2
// ~ <word>吃了jack生产了bread3
// ~ <word>吃了jack生产了bread4
// ~ <word>吃了jack生产了bread5
// ~ <word>吃了jack生产了bread6
// ~ <word>吃了jack生产了bread7
// ~ <word>吃了jack生产了bread8
// ~ <word>吃了jack生产了bread9
// ~ <word>吃了json生产了pizza0
// ~ <word>吃了json生产了pizza1
// ~ <word>吃了json生产了pizza2
// ~ <word>吃了json生产了pizza3
// ~ <word>吃了json生产了pizza4
// ~ <word>吃了json生产了pizza5
// ~ <word>吃了json生产了pizza6
// ~ <word>吃了json生产了pizza7
// ~ <word>吃了json生产了pizza8
// ~ <word>吃了json生产了pizza9
// all eaten
