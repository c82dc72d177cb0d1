// The fork server of a ProcessPool: a single-threaded process forked when the pool is
// constructed, whose only job is to fork workers on request and report how they end. Since it
// runs no thread of its own, forking it is always safe, whatever threads the pool's owner
// starts later (a worker forked straight from a multi-threaded parent could inherit a lock held
// by a thread that does not exist in the child). It uses plain blocking syscalls only: no tide
// loop, no tide::Fd, nothing of the parent's tide state.

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "io/src/process/reaper.hpp"
#include "io/src/process_pool/control.hpp"

namespace tide::io::detail {

namespace {

void report(int control, ControlReport::Kind kind, std::uint32_t slot, pid_t pid,
            int status) noexcept {
  ControlReport r{kind, slot, pid, status};
  while (::send(control, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

struct Child {
  std::uint32_t slot;
  pid_t pid;
  int pidfd;
};

}  // namespace

[[noreturn]] void fork_server_main(int control, pid_t parent, SlotProgress* progress,
                                   std::uint32_t slots, WorkerSettings settings) noexcept {
  (void)parent;
  const pid_t self = ::getpid();
  std::vector<Child> children;
  std::vector<pollfd> fds;
  children.reserve(slots * 2);
  for (;;) {
    fds.clear();
    fds.push_back({control, POLLIN, 0});
    for (const Child& c : children)
      fds.push_back({c.pidfd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    // Workers that ended: reap them (the server is their parent) and report their status.
    for (std::size_t i = fds.size(); i-- > 1;) {
      if (fds[i].revents == 0) continue;
      Child c = children[i - 1];
      int status = 0;
      if (::waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
      ::close(c.pidfd);
      children.erase(children.begin() + static_cast<std::ptrdiff_t>(i - 1));
      report(control, ControlReport::exited, c.slot, c.pid, status);
    }
    if (fds[0].revents == 0) continue;
    ControlRequest request{};
    alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))];
    iovec iov{&request, sizeof request};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    const ssize_t n = ::recvmsg(control, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break;  // the pool closed its end (or its process died): shut down
    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (request.slot >= slots) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    if (request.kind == ControlRequest::kill) {
      for (const Child& c : children)
        if (c.slot == request.slot) ::kill(c.pid, SIGKILL);  // not reaped yet: still ours
      continue;
    }
    if (request.kind != ControlRequest::spawn || fd < 0) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      // A worker: dies with the server, keeps only its socket (as fd 3) and stdio.
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != self) ::_exit(0);
      if (::dup2(fd, 3) < 0) ::_exit(71);  // replaces the control socket
      ::close_range(4, ~0U, 0);
      worker_main(3, progress[request.slot], settings);
    }
    const int fork_errno = errno;
    ::close(fd);
    if (pid < 0) {
      report(control, ControlReport::spawn_failed, request.slot, 0, fork_errno);
      continue;
    }
    const int pidfd = open_pidfd(pid);
    if (pidfd < 0) {
      // No pidfd (a kernel before 5.3): the worker cannot be watched; refuse it.
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      report(control, ControlReport::spawn_failed, request.slot, 0, errno);
      continue;
    }
    children.push_back({request.slot, pid, pidfd});
    report(control, ControlReport::spawned, request.slot, pid, 0);
  }
  for (const Child& c : children)
    ::kill(c.pid, SIGKILL);
  for (const Child& c : children)
    while (::waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  ::_exit(0);
}

}  // namespace tide::io::detail
