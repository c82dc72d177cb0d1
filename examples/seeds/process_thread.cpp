// Seed: 004 (多进程、线程、协程...), "和之前学习的多线程结合在一起使用": each of six processes
// prints "hello world" and starts a thread that prints its thread id
// (threading.get_ident()). A thread in a forked child is an ordinary std::thread; the
// child joins it before it ends (Python joins non-daemon threads at exit). The seed's 2 s
// sleep is 10 ms.
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

void thread_run() {
  std::printf("%lu\n", static_cast<unsigned long>(::pthread_self()));  // get_ident()
}

// [guide:process-thread]
void run(const std::string& name) {
  tide::sleep(10ms);
  std::printf("hello %s\n", name.c_str());
  std::thread t(thread_run);
  t.join();
}
// [guide-end]

tide::Task<int> amain() {
  std::vector<tide::Process> children;
  for (int i = 0; i < 6; ++i)
    children.push_back(tide::Process::start(run, std::string("world")));
  int failed = 0;
  for (auto& p : children)
    failed += co_await p.wait() != 0;
  co_return failed;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ hello world
// ~ <int>
// ~ hello world
// ~ <int>
// ~ hello world
// ~ <int>
// ~ hello world
// ~ <int>
// ~ hello world
// ~ <int>
// ~ hello world
// ~ <int>
