#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <tide/core/source_site.hpp>

namespace tide {

/// What the stall detector saw (Loop::Options::stall_threshold): one report while the loop is
/// still held by one step (a task's or fibre's run between two waits, or one callback), and a
/// last one when that step ends.
struct StallReport {
  /// false: the first report, made while the step still holds the loop; true: the step has
  /// ended, and `held_for` is its whole time.
  bool ended = false;
  /// How long the step has held the loop (at least; the watchdog looks a few times per
  /// threshold, so this is short of the truth by less than a quarter of the threshold).
  std::chrono::nanoseconds held_for{};
  /// What holds it: "task #3 'handler'", "fibre #2 'worker'", "a timer callback", "a posted
  /// callback", or "(not known: the loop thread did not answer)".
  std::string running;
  /// Where that task or fibre was spawned (unknown for callbacks).
  SourceSite spawned_at;
  /// The loop thread's stack when the stall was seen: return addresses, innermost first.
  /// Empty in the last report, and when the loop thread could not be asked in time (a
  /// handler of the program's own replaced tide's SIGURG handler; under TSan, a thread in a
  /// call TSan does not treat as blocking).
  std::vector<const void*> stack;

  /// `stack` in words, as Loop::dump names code ("function at file:line"), innermost first.
  /// The first call in a process reads the binary's symbols and line tables, which takes a
  /// while (tens to hundreds of milliseconds): the report itself is made without it, so it
  /// comes while the loop is still stuck.
  [[nodiscard]] std::vector<std::string> stack_lines() const;
  /// The default report's lines (what goes to stderr without an `on_stall`).
  [[nodiscard]] std::string text() const;
};

}  // namespace tide
