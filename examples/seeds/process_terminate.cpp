// Seed: 002 (Python-并发编程), "进程对象": the child prints its pid and its parent's; the parent
// terminates it, then is_alive() is False. Python's current_process().pid and os.getpid()
// are both ::getpid(); is_alive() is running(); exitcode is what wait() returns, -15 after
// SIGTERM. The seed terminates the child at once (it usually dies before printing); here it
// first reports over a Channel that it has printed, so every run prints the same lines.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

tide::Task<int> amain() {
  auto ends = tide::Channel::one_way();  // (named ends: clang 14 cannot capture bindings)
  tide::Channel& ready_reader = ends.first;
  tide::Channel& ready_writer = ends.second;
  auto p = tide::Process::start([&] {
    std::printf("%d is running\n", ::getpid());   // current_process().pid
    std::printf("%d is running\n", ::getpid());   // os.getpid()
    std::printf("%d is running\n", ::getppid());  // os.getppid()
    std::fflush(stdout);
    tide::await(ready_writer.send(true));
    tide::sleep(30s);
  });
  co_await ready_reader.recv<bool>();
  // [guide:process-terminate]
  p.terminate();                           // SIGTERM
  const int exitcode = co_await p.wait();  // instead of the seed's sleep(0.1): reaped now
  std::printf("%s\n", p.running() ? "True" : "False");  // is_alive()
  std::printf("exitcode %d\n", exitcode);
  // [guide-end]
  std::printf("main %d\n", ::getpid());
  std::printf("main %d\n", ::getppid());
  co_return exitcode == -SIGTERM ? 0 : 1;
}

int main() {
  return tide::run(amain());
}

// Output:
// <int> is running
// <int> is running
// <int> is running
// False
// exitcode -15
// main <int>
// main <int>
