// Seed: 004 (多进程、线程、协程...), "多进程之间异步回调": apply_async(Foo, (i,), callback=Bar) in
// a pool of 5; Foo runs in a worker, Bar runs in the parent with Foo's result ("回调函数是由
// 父进程/主进程调用"). tide runs the callback on the parent's loop. Since the callback is
// given, the futures may be dropped, as in the seed. A worker runs Foo as plain code (not
// on a loop), so it sleeps with std::this_thread::sleep_for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <tuple>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

using namespace std::chrono_literals;

int foo(int i) {
  std::this_thread::sleep_for(10ms);
  std::printf("pid =  %d\n", ::getpid());
  return i + 100;
}

const pid_t parent = ::getpid();  // set before any fork: the parent's pid in every process

void bar(int arg) {
  std::printf("-->exec done: %d %s\n", arg,
              ::getpid() == parent ? "(in the parent)" : "(elsewhere)");
}

tide::Task<int> amain() {
  tide::ProcessPool pool({.workers = 5});
  std::printf("%d\n", ::getpid());
  std::printf("start\n");
  // [guide:pool-apply-async-callback]
  for (int i = 0; i < 10; ++i)
    (void)pool.apply_async(foo, std::tuple{i}, bar);  // the future may go: bar still runs
  std::printf("end\n");
  pool.close();
  co_await pool.join();
  // [guide-end]
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// <int>
// start
// ~ end
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ pid =  <int>
// ~ -->exec done: 100 (in the parent)
// ~ -->exec done: 101 (in the parent)
// ~ -->exec done: 102 (in the parent)
// ~ -->exec done: 103 (in the parent)
// ~ -->exec done: 104 (in the parent)
// ~ -->exec done: 105 (in the parent)
// ~ -->exec done: 106 (in the parent)
// ~ -->exec done: 107 (in the parent)
// ~ -->exec done: 108 (in the parent)
// ~ -->exec done: 109 (in the parent)
