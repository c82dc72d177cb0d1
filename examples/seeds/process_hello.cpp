// Seed: 004 (多进程、线程、协程...), "多进程 简单的一个多进程例子": six processes each sleep and
// print "hello world". The seed's 2 s sleep is 10 ms here; the children sleep at the same
// time, so the program takes about 10 ms, not 60.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void run(const std::string& name) {
  tide::sleep(10ms);
  std::printf("hello %s\n", name.c_str());
}

tide::Task<int> amain() {
  // [guide:process-hello]
  std::vector<tide::Process> children;
  for (int i = 0; i < 6; ++i)
    children.push_back(tide::Process::start(run, std::string("world")));
  int failed = 0;
  for (auto& p : children)
    failed += co_await p.wait() != 0;
  // [guide-end]
  co_return failed;
}

int main() {
  return tide::run(amain());
}

// Output:
// hello world
// hello world
// hello world
// hello world
// hello world
// hello world
