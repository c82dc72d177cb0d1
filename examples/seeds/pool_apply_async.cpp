// Seed: 000 (多任务编程), "进程池" 实例: a Pool of 10 processes runs `do` 10 times (apply_async),
// then close() and join(); each call prints its pid and the time three times.
// tide::ProcessPool is the Pool. Two differences: a future dropped without a callback gives
// its call up, so the program detaches each one (Python's runs anyway); and a worker runs the
// function as plain code, not on a loop, so it sleeps with std::this_thread::sleep_for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <tuple>

#include <tide/core/run.hpp>
#include <tide/io/process_pool.hpp>

using namespace std::chrono_literals;

void work() {  // the seed's `do`, a reserved word in C++
  for (int i = 0; i < 3; ++i) {
    char now[64];
    const std::time_t t = std::time(nullptr);
    std::strftime(now, sizeof now, "%a %b %d %H:%M:%S %Y", std::localtime(&t));  // ctime()
    std::printf("%d：hhhhhhhhh  %s\n", ::getpid(), now);
    std::this_thread::sleep_for(10ms);
  }
}

tide::Task<int> amain() {
  // [guide:pool-apply-async]
  tide::ProcessPool pool({.workers = 10});
  for (int i = 0; i < 10; ++i)
    pool.apply_async(work, std::tuple<>{}).detach();  // runs; nobody waits for its result
  pool.close();                                       // no more calls
  co_await pool.join();                               // every call done, every worker gone
  // [guide-end]
  std::printf("主进程结束\n");
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// <int>：hhhhhhhhh  <word> <word> <int> <int>:<int>:<int> <int>
// 主进程结束
