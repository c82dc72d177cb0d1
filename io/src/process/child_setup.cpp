#include "io/src/process/child_setup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tide::io::detail {

StdioPlan plan_stdio(const ProcessOptions& options) {
  StdioPlan plan;
  const std::array<Stdio, 3> modes{options.stdin_mode, options.stdout_mode, options.stderr_mode};
  for (int i = 0; i < 3; ++i) {
    if (modes[i] == Stdio::null) {
      if (!plan.null) {
        plan.null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (!plan.null)
          throw std::system_error(errno, std::system_category(), "tide::Process: open /dev/null");
      }
      plan.child.source[i] = plan.null.get();
    } else if (modes[i] == Stdio::pipe) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) < 0)
        throw std::system_error(errno, std::system_category(), "tide::Process: pipe2");
      Fd read_end(fds[0]);
      Fd write_end(fds[1]);
      // stdin: the child reads; stdout and stderr: the child writes. The child's end stays
      // blocking, as programs expect; the parent's is awaited.
      Fd& mine = i == 0 ? write_end : read_end;
      mine.set_nonblocking();
      plan.child.source[i] = (i == 0 ? read_end : write_end).get();
      plan.parent[i] = std::move(mine);
      plan.child_ends[i] = std::move(i == 0 ? read_end : write_end);
    }
  }
  return plan;
}

int prepare_child(const ChildStdio& stdio, bool daemon, pid_t parent) {
  if (daemon) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return static_cast<int>(ChildStage::daemon);
    // The parent may have died between the clone and the prctl: then nobody would kill us.
    if (::getppid() != parent) ::kill(::getpid(), SIGKILL);
  }
  std::array<int, 3> source = stdio.source;
  // A source that is itself 0, 1 or 2 (the parent had closed its stdio) could be overwritten
  // by an earlier dup2: move it out of the way first.
  for (int i = 0; i < 3; ++i) {
    if (source[i] >= 0 && source[i] <= 2 && source[i] != i) {
      source[i] = ::fcntl(source[i], F_DUPFD_CLOEXEC, 3);
      if (source[i] < 0) return static_cast<int>(ChildStage::stdio);
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (source[i] < 0) continue;
    if (source[i] == i) {
      if (::fcntl(i, F_SETFD, 0) < 0) return static_cast<int>(ChildStage::stdio);
    } else if (::dup2(source[i], i) < 0) {
      return static_cast<int>(ChildStage::stdio);
    }
  }
  return 0;
}

void reset_signal_handlers() noexcept {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) < 0) continue;
    if (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN) continue;
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
  }
}

}  // namespace tide::io::detail
