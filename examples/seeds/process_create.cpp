// Seed: 003 (IO多路复用 ... python的进程), "创建进程示例": the parent prints its pid, starts a
// child that prints its own, and prints "Process end." without waiting for it. Python joins
// the child when the program ends; tide waits for it explicitly at the end.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

void run_proc(const std::string& name) {
  std::printf("Run child process %s (%d)...\n", name.c_str(), ::getpid());
}

tide::Task<int> amain() {
  std::printf("Parent process %d.\n", ::getpid());
  // [guide:process-create]
  std::printf("Process will start.\n");
  auto p = tide::Process::start(run_proc, std::string("test"));
  std::printf("Process end.\n");
  // [guide-end]
  co_return co_await p.wait();
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// Parent process <int>.
// Process will start.
// ~ Process end.
// ~ Run child process test (<int>)...
