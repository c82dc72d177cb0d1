#pragma once

// What a new child does before it runs a program or a function: only async-signal-safe
// system calls, since a spawned child is a raw clone of a process that may run threads.

#include <sys/types.h>

#include <array>

#include <tide/io/process.hpp>

namespace tide::io::detail {

/// The descriptors a child's stdin, stdout and stderr come from (-1: inherited).
struct ChildStdio {
  std::array<int, 3> source{-1, -1, -1};
};

/// The parent's preparation for a child: the pipes' two ends, /dev/null when asked for.
struct StdioPlan {
  ChildStdio child;          // the ends the child keeps
  std::array<Fd, 3> parent;  // the parent's ends (non-blocking), for Stdio::pipe
  std::array<Fd, 3> child_ends;
  Fd null;
};
[[nodiscard]] StdioPlan plan_stdio(const ProcessOptions& options);

/// Why a child could not get going, sent to the parent through a close-on-exec pipe.
enum class ChildStage : int { stdio = 1, daemon, cwd, exec };
struct ChildFailure {
  ChildStage stage;
  int error;
};

/// In the child: dies with the parent if `daemon` (and at once if the parent is already gone),
/// moves the stdio sources into 0, 1, 2. Returns 0, or the stage that failed (errno set).
int prepare_child(const ChildStdio& stdio, bool daemon, pid_t parent);

/// In the child: every signal with a handler goes back to SIG_DFL (the handlers are the
/// parent's: tide::Signals' would report to the parent's pipes). Ignored signals stay ignored.
void reset_signal_handlers() noexcept;

}  // namespace tide::io::detail
