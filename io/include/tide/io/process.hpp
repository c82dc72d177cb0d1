#pragma once

#include <sys/types.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/run.hpp>
#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/pipe.hpp>

namespace tide::io {

/// What a child's stdin, stdout or stderr is.
enum class Stdio {
  inherit,  ///< the parent's own
  null,     ///< /dev/null
  pipe,     ///< an async pipe to the parent: Process::stdin_pipe() / stdout_pipe() / stderr_pipe()
};

struct ProcessOptions {
  Stdio stdin_mode = Stdio::inherit;
  Stdio stdout_mode = Stdio::inherit;
  Stdio stderr_mode = Stdio::inherit;
  /// The child's whole environment ("NAME=value" each); unset: the parent's.
  std::optional<std::vector<std::string>> env{};
  /// The child's working directory; empty: the parent's.
  std::string cwd{};
  /// spawn only: descriptors the program keeps, at the same numbers. Every other descriptor
  /// but 0, 1 and 2 is closed in the child, whether or not it was close-on-exec.
  std::vector<int> pass_fds{};
  /// The child is killed (SIGKILL) when the parent dies, as Python's `daemon` processes are
  /// terminated. Linux ties this to the parent *thread*: the one that started the child.
  bool daemon = false;
};

/// A process could not be started, or its exit status was lost.
class ProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Process;

namespace detail {

/// The child side of Process::start: type-erased, called once in the forked child.
struct ChildBody {
  int (*run)(void* context);
  void* context;
};
Process start_child(const ProcessOptions& options, ChildBody body);

/// Runs `fn(args...)` in a forked child on a fresh loop of its own: a Task is run by
/// tide::run, anything else as a fibre (so tide::await works in it). The child's exit status:
/// the int it returns, else 0.
template <class Fn, class... Args>
int run_child(Fn& fn, Args&... args) {
  using R = std::invoke_result_t<Fn&, Args&...>;
  if constexpr (tide::detail::is_task_v<R>) {
    if constexpr (std::is_convertible_v<decltype(tide::run(std::invoke(fn, args...))), int>)
      return static_cast<int>(tide::run(std::invoke(fn, args...)));
    else
      return tide::run(std::invoke(fn, args...)), 0;
  } else {
    Loop loop;
    auto fibre = spawn_fiber(loop, [&]() -> R { return std::invoke(fn, args...); });
    if constexpr (std::is_convertible_v<R, int>)
      return static_cast<int>(fibre.join().get());
    else
      return fibre.join().get(), 0;
  }
}

}  // namespace detail

/// A child process: a program (`spawn`) or a function run in a forked copy of this one
/// (`start`, multiprocessing.Process with the fork start method).
///
///     auto ls = tide::Process::spawn({"ls", "-l"}, {.stdout_mode = tide::Stdio::pipe});
///     std::string listing = co_await ls.stdout_pipe().read_all();
///     int status = co_await ls.wait();             // 0, an exit code, or -signal
///
///     auto worker = tide::Process::start([](int n) { return n * 2; }, 21);
///     assert(co_await worker.wait() == 42);
///
/// Every child is reaped: `wait()` reaps it; a Process destroyed before its child ended kills
/// a daemon child and reaps it, and hands any other to a reaper that collects it once it ends.
/// Children are watched through pidfds, never SIGCHLD, so tide needs no signal handler. A host
/// that ignores SIGCHLD (the kernel then reaps children itself) or reaps with waitpid(-1) does
/// not make `wait()` hang: the pidfd still reports the end, and since Linux 6.15 it also keeps
/// the exit status (PIDFD_INFO_EXIT); on older kernels `wait()` then raises ProcessError.
/// Thread safety: one Process is used from one loop thread.
class Process {
 public:
  /// Starts the program `argv[0]` (searched in PATH, of `options.env` if it sets one, when it
  /// has no '/') with arguments `argv`. Throws std::system_error in the parent, with no child
  /// left behind, when the program cannot be run (ENOENT, EACCES, ...) or `cwd` is not
  /// usable; std::invalid_argument for an empty argv.
  [[nodiscard]] static Process spawn(std::vector<std::string> argv, ProcessOptions options = {});

  /// Forks a child that runs `fn(args...)` on a fresh loop of its own (see detail::run_child)
  /// and exits with its int result, or 0; 1 if it throws (the exception is printed on
  /// stderr). The child gets a copy of this process's memory, as fork() gives, so `fn` may
  /// capture anything; the parent's loop is not the child's (it raises UsageError there).
  /// stdio buffers are flushed first, so nothing is printed twice.
  template <class Fn, class... Args>
  [[nodiscard]] static Process start(ProcessOptions options, Fn&& fn, Args&&... args) {
    auto call = [&]() { return detail::run_child(fn, args...); };
    return detail::start_child(
        options, {[](void* c) { return (*static_cast<decltype(call)*>(c))(); }, &call});
  }
  template <class Fn, class... Args>
  requires(!std::is_same_v<std::remove_cvref_t<Fn>, ProcessOptions>) [[nodiscard]] static Process
      start(Fn&& fn, Args&&... args) {
    return start(ProcessOptions{}, std::forward<Fn>(fn), std::forward<Args>(args)...);
  }

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// True until the child has ended (reaping it if it just did), like Python's is_alive().
  [[nodiscard]] bool running();
  /// Waits for the child to end and returns its status as Python's `exitcode`: the exit code,
  /// or minus the signal that killed it. Once ended, returns at once. Several tasks may wait.
  /// Throws ProcessError when the status was collected by someone else (see above).
  [[nodiscard]] Task<int> wait();
  /// The exit code once the child exited normally.
  [[nodiscard]] std::optional<int> exit_code() const noexcept;
  /// The signal that killed the child, once it has been reaped.
  [[nodiscard]] std::optional<int> term_signal() const noexcept;
  /// SIGTERM, SIGKILL, or any signal. No effect once the child has been reaped (its pid may
  /// already belong to another process); the signal goes through the pidfd, so it never hits
  /// another process that reused the number.
  void terminate();
  void kill();
  void send_signal(int signal);

  /// The parent's ends of the pipes asked for with Stdio::pipe. Throws UsageError otherwise.
  [[nodiscard]] Pipe& stdin_pipe();
  [[nodiscard]] Pipe& stdout_pipe();
  [[nodiscard]] Pipe& stderr_pipe();

  /// Writes `input` to stdin (if piped) and closes it, reads stdout and stderr (if piped) to
  /// their ends, then waits: Python's communicate(), free of pipe-buffer deadlocks.
  struct Output {
    std::string out;
    std::string err;
    int status = 0;
  };
  [[nodiscard]] Task<Output> communicate(std::string input = {});

 private:
  friend Process detail::start_child(const ProcessOptions&, detail::ChildBody);
  Process() = default;
  bool try_reap();

  pid_t pid_ = -1;
  Fd pidfd_;
  bool reaped_ = false;
  bool daemon_ = false;
  bool status_lost_ = false;
  int code_ = -1;   // exit code, when it exited
  int signal_ = 0;  // killing signal, when killed
  std::optional<Pipe> stdin_, stdout_, stderr_;
};

}  // namespace tide::io

namespace tide {
using io::Process;
using io::ProcessError;
using io::ProcessOptions;
using io::Stdio;
}  // namespace tide
