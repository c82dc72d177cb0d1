// Seed: 002 (Python-并发编程), "生产者消费者模型", the version that ends: once both producers are
// joined the parent puts one None per consumer, and a consumer that gets None stops. In
// tide the queue carries std::optional<std::string>, and std::nullopt is the None. (The
// seed's first version, whose consumers never stop, is this one without the sentinels.)
// The seed's random 1-3 s pauses are fixed 1-3 ms. Who eats which food depends on timing.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using namespace std::chrono_literals;
using Food = std::optional<std::string>;

void producer(std::string name, std::string food, tide::ProcessQueue<Food>& q) {
  for (int i = 0; i < 10; ++i) {
    const std::string data = name + "生产了" + food + std::to_string(i);
    tide::sleep((i % 3 + 1) * 1ms);
    std::printf("%s\n", data.c_str());
    tide::await(q.put(data));
  }
}

// [guide:producer-consumer-sentinel]
void consumer(std::string name, tide::ProcessQueue<Food>& q) {
  for (;;) {
    const Food food = tide::await(q.get());
    if (!food) break;  // if food is None: break
    tide::sleep(1ms);
    std::printf("%s吃了%s\n", name.c_str(), food->c_str());
  }
}

tide::Task<int> amain() {
  tide::ProcessQueue<Food> q;
  auto p1 = tide::Process::start(producer, "jack", "bread", q);
  auto p2 = tide::Process::start(producer, "json", "pizza", q);
  auto c1 = tide::Process::start(consumer, "tom", q);
  auto c2 = tide::Process::start(consumer, "tina", q);
  co_await p1.wait();
  co_await p2.wait();
  co_await q.put(std::nullopt);  // q.put(None), once per consumer
  co_await q.put(std::nullopt);
  co_await c1.wait();
  co_await c2.wait();
  // [guide-end]
  std::printf("consumers done\n");
  co_return 0;
}

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
// consumers done
