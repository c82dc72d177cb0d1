// Loop::Options::dump_on_signal: a signal asks every loop that opted in for its dump. The
// handler only counts the request and writes the loop's wake-up eventfd (both async-signal
// safe); the loop prints at its next turn, on its own thread.
#pragma once

namespace tide::detail {

class DumpSignal {
 public:
  /// Starts listening for `signal` for a loop woken through `wake_fd`. Throws
  /// std::invalid_argument for a signal that cannot be caught or is tide's own (SIGKILL,
  /// SIGSTOP, SIGPIPE, the stall detector's SIGURG, or not a signal number), and
  /// std::length_error when 64 loops already listen.
  DumpSignal(int signal, int wake_fd);
  DumpSignal(const DumpSignal&) = delete;
  DumpSignal& operator=(const DumpSignal&) = delete;
  /// Stops listening; after it returns no handler touches `wake_fd` any more. The signal's
  /// previous action is restored when the last loop listening to it goes.
  ~DumpSignal();

  /// Loop thread: whether the signal came since the last call.
  bool requested() noexcept;

 private:
  int slot_;
  unsigned seen_ = 0;
};

}  // namespace tide::detail
