// Seed: 002 (Python-并发编程), "创建进程的两种方式", the first: Process(target=task,
// args=('jack',)).start(), then the parent prints "main" at once while the child runs.
// tide::Process::start(task, args...) forks a child that runs task(args...) as a fibre on a
// fresh loop; the arguments reach it as the fork's copy, so nothing is pickled. Python joins
// the child when the program ends; tide says so with `co_await p.wait()`. 3 s is 10 ms here.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void task(const std::string& name) {
  std::printf("%s is running\n", name.c_str());
  tide::sleep(10ms);
  std::printf("%s is over\n", name.c_str());
}

tide::Task<int> amain() {
  // [guide:process-target]
  auto p1 = tide::Process::start(task, std::string("jack"));
  std::printf("main\n");
  co_return co_await p1.wait();
  // [guide-end]
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ main
// ~ jack is running
// ~ jack is over
