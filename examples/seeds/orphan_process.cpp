// Seed: 002 (Python-并发编程), "孤儿进程" (and 000's third way to clear zombies): a child whose
// parent dies is adopted, normally by init (pid 1), which reaps it when it ends. Here this
// program makes itself the "child subreaper" (PR_SET_CHILD_SUBREAPER), so the orphan is
// adopted by it and not by whatever pid 1 is (in a container, often not an init), and it
// reaps the orphan itself. The middle process ends with _exit so that its Process object's
// destructor does not run (a Python parent would also join its child at exit).
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

tide::Task<int> amain() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::perror("prctl(PR_SET_CHILD_SUBREAPER)");
    co_return 1;
  }
  const pid_t me = ::getpid();
  auto ends = tide::Channel::one_way();  // (named ends: clang 14 cannot capture bindings)
  tide::Channel& report_reader = ends.first;
  tide::Channel& report_writer = ends.second;
  // [guide:orphan]
  auto parent = tide::Process::start([&] {
    auto orphan = tide::Process::start([&] {
      // Wait for the parent to die: the kernel then re-parents this process (bounded: 5 s).
      for (int i = 0; i < 5000 && ::getppid() != me; ++i)
        tide::sleep(1ms);
      std::printf("orphan: parent gone, adopted by %s\n",
                  ::getppid() == me ? "the subreaper" : "someone else");
      tide::await(report_writer.send(::getpid()));
    });
    std::printf("parent: started child %d, exiting\n", orphan.pid());
    std::fflush(stdout);
    ::_exit(0);
  });
  const int parent_exitcode = co_await parent.wait();
  const pid_t orphan = co_await report_reader.recv<pid_t>();
  std::printf("parent exitcode %d\n", parent_exitcode);
  // The orphan is ours now, but not a tide::Process: reap it with waitpid (it ends right
  // after its report, so this blocks only a moment).
  int status = 0;
  const bool reaped = ::waitpid(orphan, &status, 0) == orphan;
  std::printf("orphan reaped: %s, exit code %d\n", reaped ? "yes" : "no", WEXITSTATUS(status));
  // [guide-end]
  co_return reaped ? 0 : 1;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// parent: started child <int>, exiting
// orphan: parent gone, adopted by the subreaper
// parent exitcode 0
// orphan reaped: yes, exit code 0
