#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/when_all.hpp>
#include <tide/io/process.hpp>

#include "../net/dual.hpp"
#include "children.hpp"

using namespace std::chrono_literals;

#define DUAL_SCENARIOS "../process/process_scenarios.inc"
#include "../net/dual_scenarios.inc"

namespace {

DUAL_TEST(Process, SpawnReportsExitCodes)
DUAL_TEST(Process, SpawnPipesStdioEnvAndCwd)
DUAL_TEST(Process, TerminateAndKillReportTheSignal)
DUAL_TEST(Process, StartRunsAFunctionInAChild)
DUAL_TEST(Process, StartChildOutputAndExceptions)
DUAL_TEST(Process, ChildTouchingTheParentsLoopGetsUsageError)
DUAL_TEST(Process, MissingProgramFailsInTheParent)
DUAL_TEST(Process, WritingToAChildThatClosedStdinIsEpipe)

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.insert(line);
  return lines;
}

// The fallback.nopidfd ctest runs this suite with clone3 and pidfd_open refused (ENOSYS), as
// on Linux before 5.3 or under a seccomp filter: spawn then forks, and wait() uses SIGCHLD.
TEST(Process, FallbackWithoutPidfdsIsInEffectWhenAsked) {
  if (std::getenv("TIDE_EXPECT_NO_PIDFD") == nullptr) GTEST_SKIP() << "only in fallback.nopidfd";
  errno = 0;
  EXPECT_LT(::syscall(SYS_pidfd_open, ::getpid(), 0), 0);
  EXPECT_EQ(errno, ENOSYS);
}

TEST(Process, ThousandChildrenLeaveNoZombie) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    // 50 at a time, each waited for; then nothing of ours may be left in state Z.
    for (int round = 0; round < 20; ++round) {
      std::vector<tide::Process> children;
      for (int i = 0; i < 50; ++i)
        children.push_back(tide::Process::spawn({"true"}));
      for (auto& child : children)
        EXPECT_EQ(co_await child.wait(), 0);
    }
    EXPECT_EQ(tide::testing::zombie_children(), 0);
  });
}

TEST(Process, UnwaitedChildrenAreReapedToo) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    pid_t pid = 0;
    {
      auto child = tide::Process::spawn({"true"});
      pid = child.pid();
    }  // destroyed running: handed to the reaper, a task on this loop
    for (int i = 0; i < 1000 && ::kill(pid, 0) == 0; ++i)
      co_await tide::sleep_for(1ms);  // polls a state no event reports; bounded
    EXPECT_NE(::kill(pid, 0), 0) << "child " << pid << " still exists (a zombie?)";
    EXPECT_EQ(tide::testing::zombie_children(), 0);
  });
}

/// Linux 6.15 keeps a reaped child's status in its pidfd (PIDFD_INFO_EXIT).
bool kernel_keeps_exit_status() {
  utsname name{};
  ::uname(&name);
  int major = 0, minor = 0;
  std::sscanf(name.release, "%d.%d", &major, &minor);
  return major > 6 || (major == 6 && minor >= 15);
}

struct IgnoreSigchld {
  struct sigaction old {};
  IgnoreSigchld() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGCHLD, &ignore, &old);
  }
  ~IgnoreSigchld() { ::sigaction(SIGCHLD, &old, nullptr); }
};

TEST(Process, HostIgnoringSigchldOrReapingEverythingNeverMakesWaitHang) {
  IgnoreSigchld ignoring;  // the kernel reaps every child as it ends
  tide::testing::run_clean([]() -> tide::Task<void> {
    if (!kernel_keeps_exit_status()) {
      auto lost = tide::Process::spawn({"true"});
      EXPECT_THROW(co_await lost.wait(), tide::ProcessError);
      co_return;
    }
    auto a = tide::Process::spawn({"sh", "-c", "exit 5"});
    EXPECT_EQ(co_await a.wait(), 5);
    auto b = tide::Process::spawn({"sh", "-c", "exit 6"});
    auto c = tide::Process::spawn({"sleep", "0.01"});
    co_await c.wait();
    // A host that reaps every child itself: ours are not among what it can see.
    int status = 0;
    EXPECT_LE(::waitpid(-1, &status, WNOHANG), 0);
    EXPECT_EQ(co_await b.wait(), 6);
    auto started = tide::Process::start([] { return 9; });
    EXPECT_EQ(co_await started.wait(), 9);
    auto killed = tide::Process::spawn({"sleep", "30"});
    killed.kill();
    EXPECT_EQ(co_await killed.wait(), -SIGKILL);
  });
}

TEST(Process, StatusTakenByTheHostsWaitpidIsStillReported) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    auto child = tide::Process::start([] { return 4; });
    int status = 0;
    EXPECT_EQ(::waitpid(child.pid(), &status, 0), child.pid());  // as a host's waitpid(-1)
    if (kernel_keeps_exit_status())
      EXPECT_EQ(co_await child.wait(), 4);
    else
      EXPECT_THROW(co_await child.wait(), tide::ProcessError);
  });
}

TEST(Process, ChildSeesOnlyStdioAndPassedFds) {
  std::vector<int> leaked;
  for (int i = 0; i < 1000; ++i) {
    int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(fd, 0);
    leaked.push_back(fd);
  }
  tide::testing::run_clean([&]() -> tide::Task<void> {
    tide::ProcessOptions options;
    options.stdout_mode = tide::Stdio::pipe;
    options.pass_fds = {leaked[500]};
    auto p = tide::Process::spawn({"sh", "-c", "ls /proc/$$/fd"}, options);
    auto out = co_await p.communicate();
    EXPECT_EQ(lines_of(out.out),
              (std::set<std::string>{"0", "1", "2", std::to_string(leaked[500])}))
        << out.out;
    tide::ProcessOptions bad;
    bad.pass_fds = {123456};
    EXPECT_THROW((void)tide::Process::spawn({"true"}, bad), std::invalid_argument);
  });
  for (int fd : leaked)
    ::close(fd);
}

TEST(Process, DaemonChildDiesWithItsParent) {
  // We become the reaper of orphaned descendants, so the grandchild is ours to collect.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  tide::testing::run_clean([]() -> tide::Task<void> {
    tide::ProcessOptions options;
    options.stdout_mode = tide::Stdio::pipe;
    // The middle process starts a daemon grandchild, prints its pid and dies at once.
    auto middle = tide::Process::start(options, [] {
      tide::ProcessOptions daemon;
      daemon.daemon = true;
      auto grandchild = tide::Process::spawn({"sleep", "30"}, daemon);
      std::printf("%d\n", grandchild.pid());
      std::fflush(stdout);
      ::_exit(0);
    });
    auto out = co_await middle.communicate();
    EXPECT_EQ(out.status, 0);
    const pid_t grandchild = std::stoi(out.out);
    // It was killed by SIGKILL when the middle died, and handed to us (the subreaper).
    siginfo_t info{};
    for (int i = 0; i < 5000; ++i) {
      info = {};
      if (::waitid(P_PID, grandchild, &info, WEXITED | WNOHANG | __WALL) == 0 && info.si_pid != 0)
        break;
      co_await tide::sleep_for(1ms);  // polls a state no event of ours reports; bounded
    }
    EXPECT_EQ(info.si_pid, grandchild);
    EXPECT_EQ(info.si_code, CLD_KILLED);
    EXPECT_EQ(info.si_status, SIGKILL);
  });
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

}  // namespace
