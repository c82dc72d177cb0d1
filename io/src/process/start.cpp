// Process::start: fork() (glibc's, so its fork handlers run: the allocator, tide's own loop
// state) and run the function in the child.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cxxabi.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <typeinfo>

#include <tide/io/process.hpp>

#include "io/src/process/child_setup.hpp"
#include "io/src/process/reaper.hpp"

namespace tide::io::detail {

namespace {

std::string current_exception_type() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "unknown exception";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? name.get() : type->name();
}

[[noreturn]] void run_in_child(const ProcessOptions& options, const StdioPlan& plan, pid_t parent,
                               ChildBody body) {
  int code = 1;
  if (prepare_child(plan.child, options.daemon, parent) != 0) {
    std::perror("tide::Process::start: setting up the child's stdio");
    ::_exit(127);
  }
  // The parent's ends of the pipes: the child must not hold them (no EOF otherwise).
  for (const Fd& end : plan.parent)
    if (end) ::close(end.get());
  for (const Fd& end : plan.child_ends)
    if (end && end.get() > 2) ::close(end.get());
  if (plan.null) ::close(plan.null.get());
  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) < 0) {
    std::fprintf(stderr, "tide::Process::start: chdir '%s': %s\n", options.cwd.c_str(),
                 std::strerror(errno));
    ::_exit(127);
  }
  if (options.env) {
    ::clearenv();
    for (const std::string& entry : *options.env)
      if (auto eq = entry.find('='); eq != std::string::npos)
        ::setenv(entry.substr(0, eq).c_str(), entry.c_str() + eq + 1, 1);
  }
  try {
    code = body.run(body.context);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tide::Process: child %d ended with an uncaught %s: %s\n", ::getpid(),
                 current_exception_type().c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "tide::Process: child %d ended with an uncaught %s\n", ::getpid(),
                 current_exception_type().c_str());
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code & 0xff);
}

// Whether the kernel reaps this process's children the moment they end (SIGCHLD ignored or
// SA_NOCLDWAIT): then no zombie is left to open a pidfd on.
bool host_auto_reaps() noexcept {
  struct sigaction current {};
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0;
}

}  // namespace

Process start_child(const ProcessOptions& options, ChildBody body) {
  if (!options.pass_fds.empty())
    throw std::invalid_argument(
        "tide::Process::start: pass_fds is for spawn (a forked child keeps every descriptor, "
        "as fork() does)");
  reap_orphans();
  StdioPlan plan = plan_stdio(options);
  // What sits in stdio buffers would otherwise be written twice, by the parent and the child.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  // When the kernel reaps children at once, a child that ends before the parent has opened
  // its pidfd takes its exit status with it: it waits until the parent holds the pidfd (whose
  // exit information outlives the reap), told by the end of this pipe. (spawn gets its pidfd
  // from clone3 itself.)
  Fd hold_read, hold_write;
  if (host_auto_reaps()) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::system_category(), "tide::Process::start: pipe2");
    hold_read.reset(ends[0]);
    hold_write.reset(ends[1]);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::system_category(), "tide::Process::start: fork");
  if (pid == 0) {
    if (hold_read) {  // raw closes: the child must not tell the parent's loop about its fds
      ::close(hold_write.release());
      char byte = 0;
      while (::read(hold_read.get(), &byte, 1) < 0 && errno == EINTR) {
      }
      ::close(hold_read.release());
    }
    run_in_child(options, plan, parent, body);
  }

  Process process;
  process.pid_ = pid;
  process.daemon_ = options.daemon;
  process.pidfd_.reset(open_pidfd(pid));
  hold_write.reset();  // the child goes on
  hold_read.reset();
  if (!process.pidfd_ && errno == ESRCH) {
    // Only a reap by someone else (a host's waitpid(-1)) can have taken it this fast.
    process.reaped_ = true;
    process.status_lost_ = true;
  }  // other errors: no pidfds here; wait() falls back on SIGCHLD
  for (Fd& end : plan.child_ends)
    end.close();
  if (plan.parent[0]) process.stdin_.emplace(Fd(), std::move(plan.parent[0]));
  if (plan.parent[1]) process.stdout_.emplace(std::move(plan.parent[1]), Fd());
  if (plan.parent[2]) process.stderr_.emplace(std::move(plan.parent[2]), Fd());
  return process;
}

}  // namespace tide::io::detail
