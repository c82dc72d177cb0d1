// Seed: 004 (多进程、线程、协程...), "每一个子进程都是由父进程启动的": info() prints a title, the
// parent's pid and its own; called in the parent and then in a child started by it, it shows
// the child's parent is the program. Python's "module name" line (__main__ in the parent,
// __mp_main__ in a child on Windows) has no C++ counterpart and is left out.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

void info(const char* title) {
  std::printf("%s\n", title);
  std::printf("parent process: %d\n", ::getppid());
  std::printf("process id: %d\n", ::getpid());
}

const pid_t program = ::getpid();  // set before any fork: the same in the child

void f(const std::string& name) {
  info("called from child process function f:");
  std::printf("my parent is the main process: %s\n", ::getppid() == program ? "yes" : "no");
  std::printf("hello %s\n", name.c_str());
}

tide::Task<int> amain() {
  // [guide:process-info]
  info("main process line:");
  auto p = tide::Process::start(f, std::string("bob"));
  co_return co_await p.wait();
  // [guide-end]
}

int main() {
  return tide::run(amain());
}

// Output:
// main process line:
// parent process: <int>
// process id: <int>
// called from child process function f:
// parent process: <int>
// process id: <int>
// my parent is the main process: yes
// hello bob
