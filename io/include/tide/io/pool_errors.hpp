#pragma once

#include <sys/types.h>
#include <stdexcept>
#include <string>

#include <tide/core/errors.hpp>

namespace tide::io {

/// The function threw in the worker: carries the exception's type name (demangled, e.g.
/// "std::invalid_argument") and its `what()`. Python users know this as the exception
/// re-raised by `AsyncResult.get()`.
class RemoteError : public std::runtime_error {
 public:
  RemoteError(std::string type_name, std::string message)
      : std::runtime_error(type_name + ": " + message + " (raised in a tide::ProcessPool worker)"),
        type_name_(std::move(type_name)),
        message_(std::move(message)) {}
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string type_name_;
  std::string message_;
};

/// The worker died while running this call (a signal such as SIGSEGV, SIGABRT or SIGKILL, or
/// an exit such as `_exit(3)` from inside the function). Only that call fails; the worker is
/// replaced and the calls queued behind it go to other workers.
class WorkerCrashed : public std::runtime_error {
 public:
  WorkerCrashed(std::string what, pid_t pid, int signal, int exit_status)
      : std::runtime_error(std::move(what)),
        pid_(pid),
        signal_(signal),
        exit_status_(exit_status) {}
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// The signal that killed it, or 0 if it exited.
  [[nodiscard]] int signal() const noexcept { return signal_; }
  /// Its exit status when it exited (signal() == 0).
  [[nodiscard]] int exit_status() const noexcept { return exit_status_; }

 private:
  pid_t pid_;
  int signal_;
  int exit_status_;
};

/// A call's deadline (ProcessPool::submit_with_timeout) passed: it was withdrawn if still
/// queued, or its worker was killed and replaced.
class TaskTimeout : public TimeoutError {
 public:
  using TimeoutError::TimeoutError;
};

/// The pool no longer takes or runs calls: `submit` after `close`/`shutdown`/`terminate`, and
/// calls that were still pending when the pool was terminated or destroyed.
class PoolClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The call was withdrawn before any worker took it (PoolFuture::cancel, or
/// `shutdown(wait, cancel_futures=true)`).
class PoolCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tide::io

namespace tide {
using io::PoolCancelled;
using io::PoolClosed;
using io::RemoteError;
using io::TaskTimeout;
using io::WorkerCrashed;
}  // namespace tide
