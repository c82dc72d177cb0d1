// The seeds' multiprocessing.Process examples (../shared/seeds/, 000 "僵尸进程", 002 "守护进程",
// "孤儿进程", terminate/is_alive, and the "创建进程示例" of 003), as tests with their output
// checked. Python's Process(target=f, args=...).start() is tide::Process::start(f, args...);
// join() is co_await p.wait(); is_alive() is running(); exitcode is wait()'s result.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/process.hpp>

#include "children.hpp"
#include "test_loop.hpp"

using namespace std::chrono_literals;

namespace {

tide::ProcessOptions capture_stdout() {
  tide::ProcessOptions options;
  options.stdout_mode = tide::Stdio::pipe;
  return options;
}

// 003: "Run child process test (pid)..." printed by the child, the parent's lines around it.
TEST(SeedsProcess, CreateAProcessAndJoinIt) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    auto p = tide::Process::start(
        capture_stdout(),
        [](std::string name) {
          std::printf("Run child process %s (%d)...\n", name.c_str(), ::getpid());
        },
        std::string("test"));
    auto out = co_await p.communicate();
    EXPECT_EQ(out.out, "Run child process test (" + std::to_string(p.pid()) + ")...\n");
    EXPECT_EQ(out.status, 0);
  });
}

// 002: p.terminate(); then is_alive() is False once the child has gone.
TEST(SeedsProcess, TerminateThenIsAlive) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    auto p = tide::Process::start([] { tide::sleep(30s); });
    EXPECT_TRUE(p.running());
    p.terminate();
    EXPECT_EQ(co_await p.wait(), -SIGTERM);  // Python's exitcode for a terminated child: -15
    EXPECT_FALSE(p.running());
  });
}

// 000 "僵尸进程": a child that ends with os._exit(3) while its parent does not join it is a
// zombie until the parent reaps it; wait() reaps it and gives 3.
TEST(SeedsProcess, ZombieUntilJoined) {
  tide::testing::run_clean([]() -> tide::Task<void> {
    EXPECT_EQ(tide::testing::zombie_children(), 0);
    auto p = tide::Process::start([] { ::_exit(3); });
    // Readable once it has ended; unreaped, it is a zombie now.
    tide::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, p.pid(), 0)));
    co_await tide::io::wait_ready(pidfd.get(), POLLIN);
    EXPECT_EQ(tide::testing::zombie_children(), 1);
    EXPECT_EQ(co_await p.wait(), 3);
    EXPECT_EQ(tide::testing::zombie_children(), 0);
  });
}

// 002 "守护进程": p.daemon = True; the parent prints "main over" and ends, and the daemon child
// dies with it: "jack is dying" is never printed.
TEST(SeedsProcess, DaemonChildEndsWithItsParent) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // so the orphaned child is ours to reap
  tide::testing::run_clean([]() -> tide::Task<void> {
    auto parent = tide::Process::start(capture_stdout(), [] {
      tide::ProcessOptions daemon;
      daemon.daemon = true;
      auto p = tide::Process::start(
          daemon,
          [](std::string name) {
            std::printf("%s is alive\n", name.c_str());
            std::fflush(stdout);
            tide::sleep(3s);
            std::printf("%s is dying\n", name.c_str());
          },
          std::string("jack"));
      std::printf("main over\n%d\n", p.pid());
      std::fflush(stdout);
      ::_exit(0);  // the parent ends without joining (p's destructor does not run)
    });
    // The pipe closes when both the parent and its daemon child are gone: well before 3 s.
    auto out = co_await tide::timeout(2s, parent.communicate());
    EXPECT_NE(out.out.find("main over\n"), std::string::npos) << out.out;
    EXPECT_EQ(out.out.find("is dying"), std::string::npos) << out.out;
    // The daemon, handed to us: killed, not ended by itself.
    const pid_t daemon = std::stoi(out.out.substr(out.out.find("main over\n") + 10));
    siginfo_t info{};
    EXPECT_EQ(::waitid(P_PID, static_cast<id_t>(daemon), &info, WEXITED), 0);
    EXPECT_EQ(info.si_code, CLD_KILLED);
  });
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

// 002 "孤儿进程": a child whose parent dies is adopted (here by us, the subreaper; normally by
// init) and still reaped: it sees its new parent.
TEST(SeedsProcess, OrphanIsAdopted) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  tide::testing::run_clean([]() -> tide::Task<void> {
    const pid_t me = ::getpid();
    auto parent = tide::Process::start(capture_stdout(), [me] {
      auto orphan = tide::Process::start([me] {
        for (int i = 0; i < 5000 && ::getppid() != me; ++i)
          tide::sleep(1ms);  // until the parent has died; bounded
        std::printf("adopted by %s\n", ::getppid() == me ? "the subreaper" : "someone else");
      });
      std::printf("%d\n", orphan.pid());
      std::fflush(stdout);
      ::_exit(0);
    });
    auto out = co_await parent.communicate();
    const auto newline = out.out.find('\n');
    EXPECT_EQ(out.out.substr(newline + 1), "adopted by the subreaper\n");
    const pid_t orphan = std::stoi(out.out.substr(0, newline));
    int status = 0;
    EXPECT_EQ(::waitpid(orphan, &status, 0), orphan);  // we reap the orphan: no zombie left
    EXPECT_EQ(status, 0);
  });
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

}  // namespace
