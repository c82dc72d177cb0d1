#include "io/src/process/reaper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/signals.hpp>

namespace tide::io::detail {

namespace {

struct Orphan {
  pid_t pid;
  int pidfd;  // a number no loop has seen (see adopt_orphan)
};

std::mutex orphans_mutex;
std::vector<Orphan>& orphans() {
  static auto* list = new std::vector<Orphan>;  // never destroyed: used until exit
  return *list;
}

bool reap_raw(const Orphan& orphan) {
  int code = 0, signal = 0;
  bool lost = false;
  try {
    return reap_child(orphan.pid, orphan.pidfd, code, signal, lost);
  } catch (const std::system_error&) {
    return true;  // nothing more can be learned from it
  }
}

void keep(Orphan orphan) {
  std::lock_guard lock(orphans_mutex);
  orphans().push_back(orphan);
}

/// Holds an orphan while a task waits for it; hands it to the list if the task is destroyed
/// first (its loop went away).
struct Watched {
  Orphan orphan;
  bool done = false;
  ~Watched() {
    if (done) return;
    if (!reap_raw(orphan))
      keep(orphan);
    else if (orphan.pidfd >= 0)
      ::close(orphan.pidfd);
  }
};

Task<void> reap_when_ended(Orphan orphan) {
  Watched watched{orphan};
  if (orphan.pidfd >= 0) {
    co_await wait_ready(orphan.pidfd, POLLIN);
    reap_raw(orphan);
  } else {
    Signals child_ended{SIGCHLD};  // no pidfds here: subscribed before the first look
    while (!reap_raw(orphan))
      co_await child_ended.wait();
  }
  watched.done = true;
  // The loop saw this number: close it through the loops so none keeps a registration.
  if (orphan.pidfd >= 0) Fd(orphan.pidfd).close();
}

/// PIDFD_GET_INFO's first version (linux/pidfd.h, Linux 6.15), spelled out since older headers
/// lack it: 64 bytes, `exit_code` a wait(2) status.
struct PidfdInfo {
  std::uint64_t mask;
  std::uint64_t cgroupid;
  std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  std::int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr unsigned long pidfd_get_info = _IOWR(0xFF, 11, PidfdInfo);
constexpr std::uint64_t pidfd_info_exit = 1u << 3;

bool exit_status_of(int pidfd, int& status) {
  PidfdInfo info{};
  info.mask = pidfd_info_exit;
  if (::ioctl(pidfd, pidfd_get_info, &info) < 0 || (info.mask & pidfd_info_exit) == 0) return false;
  status = info.exit_code;
  return true;
}

}  // namespace

int open_pidfd(pid_t pid) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool reap_child(pid_t pid, int pidfd, int& code, int& signal, bool& lost) {
  siginfo_t info{};
  const int waited = pidfd >= 0
                         ? ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG)
                         : ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
  if (waited < 0) {
    if (errno == ECHILD) {
      // Someone else reaped it (a host that ignores SIGCHLD, or calls waitpid(-1)). Since
      // Linux 6.15 the pidfd still knows how it ended.
      int status = 0;
      if (pidfd >= 0 && exit_status_of(pidfd, status)) {
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      } else {
        lost = true;
      }
      return true;
    }
    throw std::system_error(errno, std::system_category(), "tide::Process: waitid");
  }
  if (info.si_pid == 0) return false;
  if (info.si_code == CLD_EXITED) {
    code = info.si_status;
    signal = 0;
  } else {
    code = -1;
    signal = info.si_status;
  }
  return true;
}

void adopt_orphan(pid_t pid, Fd pidfd) {
  // A fresh number: the old one may still be known to a loop of this thread. Without pidfds
  // (-1) the orphan is reaped by pid.
  Orphan orphan{pid, pidfd ? ::fcntl(pidfd.get(), F_DUPFD_CLOEXEC, 0) : -1};
  if (pidfd && orphan.pidfd < 0) return;  // out of fds: init reaps it after we exit
  pidfd.close();
  if (Loop* loop = Loop::try_current()) {
    try {
      loop->spawn(reap_when_ended(orphan), "tide: reap child " + std::to_string(pid)).detach();
      return;
    } catch (...) {
      // No memory for a task: the list below still reaps it.
    }
  }
  if (!reap_raw(orphan))
    keep(orphan);
  else if (orphan.pidfd >= 0)
    ::close(orphan.pidfd);
}

void reap_orphans() noexcept {
  std::lock_guard lock(orphans_mutex);
  std::erase_if(orphans(), [](const Orphan& orphan) {
    if (!reap_raw(orphan)) return false;
    if (orphan.pidfd >= 0) ::close(orphan.pidfd);
    return true;
  });
}

}  // namespace tide::io::detail
