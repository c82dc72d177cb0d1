#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

#include <tide/core/detail/callback.hpp>

#include <tide/core/detail/spin.hpp>
#include "core/src/fork_guard.hpp"

namespace tide::detail {

/// The loop's only thread-safe door: callbacks posted from any thread, and the eventfd that
/// wakes the loop when it sleeps. Shared (via shared_ptr) with Loop::Remote handles and
/// thread-pool calls, so it outlives the loop and can refuse posts once the loop is gone.
class Inbox {
 public:
  Inbox();
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  [[nodiscard]] int wake_fd() const noexcept { return fd_; }

  /// Any thread. Throws LoopClosed once closed.
  void post(Callback fn);

  /// Loop thread: spins for a short while (see spin.hpp's AdaptiveSpin); true if a post
  /// arrived meanwhile.
  bool spin_for_post() noexcept;
  /// Loop thread, before blocking: false if callbacks are already waiting (do not block);
  /// otherwise records that the loop sleeps, so the next post writes the eventfd.
  bool prepare_to_sleep();
  /// Loop thread, after waking: posts need not wake it.
  void awake();
  /// Loop thread: the callbacks posted so far, oldest first. (Every iteration asks: the
  /// common empty case is one atomic load, inline.)
  void take(std::vector<Callback>& out) {
    if (has_items_.load(std::memory_order_acquire)) take_posted(out);
  }
  /// Callbacks are waiting, or a Remote exists that may post more.
  [[nodiscard]] bool busy() const;
  /// A Remote went away; if it was the last, wakes a sleeping loop so `run()` can see that
  /// nothing can post any more.
  void release_remote() noexcept;
  /// Drops waiting callbacks (outside the lock) and refuses later posts.
  void close() noexcept;

  std::atomic<std::size_t> remotes{0};  // live Loop::Remote handles

 private:
  // Set (under the lock) when items_ becomes non-empty: lets `take` skip the lock when idle.
  // A post racing with that check is simply taken next iteration; before the loop sleeps,
  // prepare_to_sleep looks under the lock, so no post is ever missed.
  void take_posted(std::vector<Callback>& out);

  std::atomic<bool> has_items_{false};
  unsigned born_ = fork_generation.load(std::memory_order_relaxed);  // see fork_guard.hpp
  AdaptiveSpin spin_;                                                // loop thread only

  mutable std::mutex mutex_;
  std::vector<Callback> items_;  // guarded by mutex_
  bool sleeping_ = false;        // guarded by mutex_: the loop is (about to be) blocked in wait
  bool closed_ = false;          // guarded by mutex_
  int fd_ = -1;                  // eventfd, EFD_NONBLOCK | EFD_CLOEXEC
};

}  // namespace tide::detail
