// Seed: 000 (多任务编程), "创建进程", 实例1: two processes print three lines each, 0.1 s apart;
// the seed's own output shows them interleaved ("进程执行是无序的"). Python's
// Process(target=do).start() is tide::Process::start(do), which forks a child that runs `do`
// as a fibre on a fresh loop of its own; Python joins such children at exit, tide waits for
// them with `co_await p.wait()`.
#include <chrono>
#include <cstdio>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void do1() {
  for (int i = 0; i < 3; ++i) {
    std::printf(".........\n");
    tide::sleep(10ms);  // the seed's sleep(0.1), shortened; suspends this child's fibre
  }
}

void do2() {
  for (int i = 0; i < 3; ++i) {
    std::printf("aaaaaaaaaaa\n");
    tide::sleep(10ms);
  }
}

tide::Task<int> amain() {
  // [guide:process-start]
  auto p1 = tide::Process::start(do1);
  auto p2 = tide::Process::start(do2);
  const int code1 = co_await p1.wait();  // join(): the exit code, 0 here
  const int code2 = co_await p2.wait();
  // [guide-end]
  co_return code1 | code2;
}

int main() {
  return tide::run(amain());
}

// Output:
// ~ .........
// ~ .........
// ~ .........
// ~ aaaaaaaaaaa
// ~ aaaaaaaaaaa
// ~ aaaaaaaaaaa
