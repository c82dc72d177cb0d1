// Seed: 004 (多进程、线程、协程...), "进程池": apply() runs Foo(i) in a pool of 5 and waits for
// it, so the ten calls run one after another ("程序变成了串行"). Python's apply is tide's
// `co_await pool.submit(...)`: submit, then wait for the result. A worker runs Foo as plain
// code (not on a loop), so it sleeps with std::this_thread::sleep_for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

using namespace std::chrono_literals;

int foo(int i) {
  std::this_thread::sleep_for(10ms);  // the seed's 1 s
  std::printf("pid =  %d\n", ::getpid());
  return i + 100;
}

tide::Task<int> amain() {
  tide::ProcessPool pool({.workers = 5});
  std::printf("start\n");
  int sum = 0;
  // [guide:pool-apply]
  for (int i = 0; i < 10; ++i)
    sum += co_await pool.submit(foo, i);  // pool.apply(func=Foo, args=(i,))
  // [guide-end]
  std::printf("end\n");
  pool.close();
  co_await pool.join();
  std::printf("sum of results: %d\n", sum);
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// start
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// pid =  <int>
// end
// sum of results: 1045
