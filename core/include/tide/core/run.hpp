#pragma once

#include <utility>

#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

namespace tide {

/// Runs `task` to completion on a fresh loop and returns its value, or rethrows its exception:
/// the `asyncio.run` of tide. Tasks and fibres it left running are then cancelled and allowed
/// to unwind (see `Loop::cancel_remaining`) before the loop goes.
/// Throws UsageError if the task can never finish (deadlock) or when called from inside a
/// running loop on this thread.
template <class T>
T run(Task<T> task, Loop::Options options = {}, SourceSite where = SourceSite::here()) {
  if (Loop::try_current() != nullptr)
    throw UsageError("tide::run: called from inside a running loop (co_await the task instead)");
  Loop loop(std::move(options));
  struct CancelRemaining {
    Loop& loop;
    ~CancelRemaining() {
      try {
        loop.cancel_remaining();
      } catch (...) {
        // Only UsageError (from inside the loop), which cannot happen here.
      }
    }
  } cancel_remaining{loop};
  return loop.run_until_complete(std::move(task), where);
}

}  // namespace tide
