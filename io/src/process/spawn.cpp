// Process::spawn: clone3 returning a pidfd (so no other reap can make the pid name another
// process before we hold it), then exec in the child. The child is a raw copy of a process that
// may run other threads, so until exec it makes only system calls: no allocation, no lock.

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <tide/io/process.hpp>

#include "io/src/process/child_setup.hpp"
#include "io/src/process/reaper.hpp"

extern char** environ;

namespace tide::io {

namespace {

using detail::ChildFailure;
using detail::ChildStage;

const char* stage_name(ChildStage stage) {
  switch (stage) {
    case ChildStage::stdio:
      return "setting up stdin/stdout/stderr for";
    case ChildStage::daemon:
      return "PR_SET_PDEATHSIG for";
    case ChildStage::cwd:
      return "chdir to the working directory of";
    case ChildStage::exec:
      return "exec of";
  }
  return "starting";
}

/// The PATH the program is searched in: the child's own, else the parent's.
std::string search_path(const ProcessOptions& options) {
  if (options.env) {
    for (const std::string& entry : *options.env)
      if (entry.starts_with("PATH=")) return entry.substr(5);
    return "/usr/local/bin:/usr/bin:/bin";
  }
  const char* path = std::getenv("PATH");
  return path ? path : "/usr/local/bin:/usr/bin:/bin";
}

/// execvp's search, done in the parent so that "not found" is an error here, not a child
/// that dies at once.
std::string find_program(const std::string& name, const ProcessOptions& options) {
  if (name.find('/') != std::string::npos) return name;
  const std::string path = search_path(options);
  int error = ENOENT;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      error = EACCES;
    }
    begin = end + 1;
  }
  throw std::system_error(error, std::system_category(),
                          "tide::Process::spawn: '" + name + "' not found in PATH (" + path + ")");
}

void check_pass_fds(const std::vector<int>& fds) {
  for (int fd : fds)
    if (fd < 3 || ::fcntl(fd, F_GETFD) < 0)
      throw std::invalid_argument("tide::Process::spawn: pass_fds: " + std::to_string(fd) +
                                  " is not an open descriptor above 2");
}

/// The child, from the clone to the exec. Returns only on failure.
[[noreturn]] void exec_child(const detail::ChildStdio& stdio, const ProcessOptions& options,
                             pid_t parent, const char* path, char* const* argv, char* const* envp,
                             int report_fd, const sigset_t& parent_mask) {
  // Signals are blocked since before the clone: drop the parent's handlers (a tide::Signals
  // handler here would report to the parent's pipes) before taking the parent's mask back.
  detail::reset_signal_handlers();
  ::sigprocmask(SIG_SETMASK, &parent_mask, nullptr);
  ChildFailure failure{ChildStage::exec, 0};
  if (int stage = detail::prepare_child(stdio, options.daemon, parent); stage != 0) {
    failure.stage = static_cast<ChildStage>(stage);
  } else if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) < 0) {
    failure.stage = ChildStage::cwd;
  } else {
    // tide ignores SIGPIPE in this process, and ignored signals survive exec: give the
    // program the default a shell would.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::sigaction(SIGXFSZ, &dfl, nullptr);
    // Only stdio and pass_fds survive the exec, whatever the parent forgot to mark.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
      for (int fd = 3; fd < 65536; ++fd)
        if (fd != report_fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (int fd : options.pass_fds)
      ::fcntl(fd, F_SETFD, 0);
    ::execve(path, argv, envp);
  }
  failure.error = errno;
  [[maybe_unused]] auto n = ::write(report_fd, &failure, sizeof failure);
  ::_exit(127);
}

}  // namespace

Process Process::spawn(std::vector<std::string> argv, ProcessOptions options) {
  if (argv.empty()) throw std::invalid_argument("tide::Process::spawn: empty argv");
  detail::reap_orphans();
  check_pass_fds(options.pass_fds);
  const std::string path = find_program(argv[0], options);
  std::vector<char*> args;
  for (std::string& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> env_storage;
  char* const* envp = environ;
  if (options.env) {
    for (std::string& e : *options.env)
      env_storage.push_back(e.data());
    env_storage.push_back(nullptr);
    envp = env_storage.data();
  }
  detail::StdioPlan plan = detail::plan_stdio(options);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) < 0)
    throw std::system_error(errno, std::system_category(), "tide::Process::spawn: pipe2");
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t parent = ::getpid();
  int pidfd = -1;
  clone_args clone{};
  clone.flags = CLONE_PIDFD;
  clone.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  clone.exit_signal = SIGCHLD;
  sigset_t all, parent_mask;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &parent_mask);
  long pid = ::syscall(SYS_clone3, &clone, sizeof clone);
  int clone_error = errno;
  if (pid < 0 && (clone_error == ENOSYS || clone_error == EPERM)) {
    // No clone3 (Linux before 5.3, or a seccomp filter): glibc's fork, after which the child
    // is just as careful; a pidfd if the kernel has them, else wait() falls back on SIGCHLD.
    pid = ::fork();
    clone_error = errno;
    if (pid > 0) pidfd = detail::open_pidfd(static_cast<pid_t>(pid));
  }
  if (pid == 0)
    exec_child(plan.child, options, parent, path.c_str(), args.data(), envp, report_write.get(),
               parent_mask);
  ::pthread_sigmask(SIG_SETMASK, &parent_mask, nullptr);
  if (pid < 0)
    throw std::system_error(clone_error, std::system_category(), "tide::Process::spawn: clone");

  Process process;
  process.pid_ = static_cast<pid_t>(pid);
  process.pidfd_.reset(pidfd);
  process.daemon_ = options.daemon;
  report_write.close();
  for (Fd& end : plan.child_ends)
    end.close();

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof failure) {
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED);  // it exits at once
    process.reaped_ = true;
    throw std::system_error(
        failure.error, std::system_category(),
        std::string("tide::Process::spawn: ") + stage_name(failure.stage) + " '" + path + "'" +
            (failure.stage == ChildStage::cwd ? " ('" + options.cwd + "')" : std::string()));
  }
  if (plan.parent[0]) process.stdin_.emplace(Fd(), std::move(plan.parent[0]));
  if (plan.parent[1]) process.stdout_.emplace(std::move(plan.parent[1]), Fd());
  if (plan.parent[2]) process.stderr_.emplace(std::move(plan.parent[2]), Fd());
  return process;
}

}  // namespace tide::io
