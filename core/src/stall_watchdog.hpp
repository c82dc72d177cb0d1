// The stall detector (Loop::Options::stall_threshold): a watchdog thread that notices when one
// step holds the loop longer than the threshold and reports it, with the loop thread's stack.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include <tide/core/source_site.hpp>
#include <tide/core/stall.hpp>

namespace tide::detail {

class LoopCore;

/// What the loop thread writes about itself when the watchdog asks (from a signal handler:
/// fixed-size, no allocation), and the watchdog reads once `state` says done.
struct StallCapture {
  enum State : int { idle, requested, writing, done };
  std::atomic<int> state{idle};
  LoopCore* core = nullptr;
  std::uint64_t progress = 0;  // the loop's step count when the handler ran
  char running[160] = {};      // "task #12 'name'", or what runs when no job does
  SourceSite where;            // the job's spawn site
  void* pcs[64] = {};
  std::size_t depth = 0;
};

class StallWatchdog {
 public:
  using Handler = std::function<void(const StallReport&)>;

  /// Starts the watchdog thread for `core`. `on_stall` is called on that thread.
  StallWatchdog(LoopCore& core, std::chrono::nanoseconds threshold, Handler on_stall);
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;
  /// Stops and joins the thread (a report in progress finishes first).
  ~StallWatchdog();

  /// Loop thread, when the loop is bound to it: where to send the stack request.
  void set_loop_thread(pthread_t thread) noexcept {
    loop_thread_.store(thread, std::memory_order_release);
  }

 private:
  void run();
  /// What runs in the step numbered `progress`, and the loop thread's stack: asked of the
  /// loop thread through a signal, answered within `patience` or not at all.
  StallReport ask_loop_thread(std::uint64_t progress, std::chrono::nanoseconds patience);

  LoopCore& core_;
  const std::chrono::nanoseconds threshold_;
  const std::chrono::nanoseconds period_;
  const Handler on_stall_;
  std::atomic<pthread_t> loop_thread_{};
  StallCapture capture_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;   // guarded by mutex_
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace tide::detail
