// Seed: 002 (Python-并发编程), "join方法": three children sleep 1, 2 and 3 s. Started together
// and then joined, the parent waits about as long as the slowest (the seed's "main 3.01");
// started and joined one at a time, they run one after another ("main 6.02"). Seconds become
// 20 ms here. Python's join() is `co_await p.wait()`.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void task(std::string name, int n) {
  std::printf("%s is running\n", name.c_str());
  tide::sleep(n * 20ms);
  std::printf("%s is over\n", name.c_str());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

tide::Task<int> amain() {
  // Concurrently: start all, then join all.
  auto start = std::chrono::steady_clock::now();
  // [guide:process-join]
  std::vector<tide::Process> children;
  for (int i = 1; i <= 3; ++i)
    children.push_back(tide::Process::start(task, "child " + std::to_string(i), i));
  for (auto& p : children)
    co_await p.wait();
  // [guide-end]
  std::printf("main %.3f\n", seconds_since(start));  // about 0.06

  // "并发变成串行": each child is joined before the next one starts.
  start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 3; ++i) {
    auto p = tide::Process::start(task, "child " + std::to_string(i), i);
    co_await p.wait();
  }
  std::printf("main %.3f\n", seconds_since(start));  // about 0.12
  co_return 0;
}

int main() {
  return tide::run(amain());
}

// Output:
// ~ child 1 is running
// ~ child 1 is over
// ~ child 2 is running
// ~ child 2 is over
// ~ child 3 is running
// ~ child 3 is over
// main <num>
// child 1 is running
// child 1 is over
// child 2 is running
// child 2 is over
// child 3 is running
// child 3 is over
// main <num>
