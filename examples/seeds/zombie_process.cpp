// Seed: 000 (多任务编程), "僵尸进程": a child that ends with os._exit(3) while its parent does not
// join it stays a zombie (state Z) until the parent reaps it. tide reaps a child in
// `wait()` (Python's join()), which also gives its exit code; a Process destroyed unjoined
// hands its child to tide's reaper, so a tide program leaves no zombie either way.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <tide/core/run.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/process.hpp>

// The state letter of a process in /proc (R, S, Z, ...), or "gone" once it has been reaped.
std::string state_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, command, state;
  if (!(stat >> pid_field >> command >> state)) return "gone";
  return state;
}

tide::Task<int> amain() {
  // [guide:zombie]
  auto p = tide::Process::start([] {
    std::printf("INFO - exit child process %d\n", ::getpid());
    std::fflush(stdout);  // _exit skips stdio's buffers
    ::_exit(3);
  });
  // Wait until the child has ended without reaping it (a pidfd turns readable), as the
  // seed's parent sleeps: the child is now a zombie.
  tide::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, p.pid(), 0)));
  co_await tide::io::wait_ready(pidfd.get(), POLLIN);
  std::printf("before join: state %s\n", state_of(p.pid()).c_str());
  const int exitcode = co_await p.wait();  // reaps it
  std::printf("after join: state %s, exitcode %d\n", state_of(p.pid()).c_str(), exitcode);
  // [guide-end]
  co_return exitcode == 3 ? 0 : 1;
}

int main() {
  return tide::run(amain());
}

// Output:
// INFO - exit child process <int>
// before join: state Z
// after join: state gone, exitcode 3
