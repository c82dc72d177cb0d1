// Seed: 002 (Python-并发编程), "进程之间数据相互隔离": the child sets the global `number` to 200;
// the parent, after join(), still sees 100. A forked child has a copy of the parent's memory,
// so the same holds in tide. To share, use SharedValue (seed ticket_sale.cpp) or send the
// value back (a ProcessQueue, a Channel, or a pool's result).
#include <cstdio>

#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

int number = 100;

tide::Task<int> amain() {
  // [guide:process-isolation]
  auto p = tide::Process::start([] {
    number = 200;
    std::printf("child: number = %d\n", number);
  });
  co_await p.wait();
  std::printf("%d\n", number);  // still 100
  // [guide-end]
  co_return number == 100 ? 0 : 1;
}

int main() {
  return tide::run(amain());
}

// Output:
// child: number = 200
// 100
