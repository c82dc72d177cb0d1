#pragma once

#include <stdexcept>
#include <string>

namespace tide {

/// Raised inside a task at its suspension point when the task was cancelled.
///
/// Deliberately not a `std::exception`: a `catch (const std::exception&)` that logs and goes on
/// must not swallow a cancellation by accident (Python made `CancelledError` a `BaseException`
/// for the same reason). Catch it by name, clean up, and rethrow.
class Cancelled {
 public:
  Cancelled() = default;
  [[nodiscard]] const char* what() const noexcept { return "tide::Cancelled"; }
};

/// Raised inside a fibre at its suspension point when it is killed: `Fiber::kill()`, its
/// handle destroyed without `detach()`, or its loop destroyed. A kind of `Cancelled`, so code
/// that cleans up on cancellation cleans up on a kill too; `join()` then rethrows it.
class FiberExit : public Cancelled {
 public:
  FiberExit() = default;
  [[nodiscard]] const char* what() const noexcept { return "tide::FiberExit"; }
};

/// Raised by `tide::timeout` when the wrapped operation did not finish in time, and in a fibre
/// whose `tide::Timeout` scope ran out.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("tide::TimeoutError: the operation timed out") {}
  using std::runtime_error::runtime_error;
};

/// Raised by `Loop::Remote::post` once the loop it points to has been destroyed, and by
/// operations that can no longer complete because their loop is gone.
class LoopClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Raised by a closed queue: a `put` after `close()`, and a `get` once a closed queue is
/// drained (items queued before the close can still be taken).
class QueueClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Misuse of the API that is a bug in the caller: awaiting a task twice, awaiting outside a
/// running loop, re-entering `Loop::run` from inside the loop, ...
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace tide
