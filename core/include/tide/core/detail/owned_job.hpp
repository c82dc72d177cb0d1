#pragma once

#include <coroutine>
#include <exception>

#include <tide/core/detail/frame_allocator.hpp>
#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/job.hpp>

namespace tide::detail {

struct PromiseBase;

/// Told when an owned job finishes (a join awaiter, a child set's slot, a fibre pool). A job
/// keeps any number of them, told in the order they started watching.
struct JoinWatcher {
  using FinishedFn = void (*)(JoinWatcher&) noexcept;
  explicit JoinWatcher(FinishedFn finished = nullptr) noexcept : on_finished(finished) {}

  FinishedFn on_finished;
  ListHook<JoinWatcher> hook;
};

/// Work that has a handle: a spawned task or a fibre. Owns itself from its start until both
/// the work has finished and its handle has let go (then it deletes itself).
class OwnedJob : public Job {
 public:
  using Job::Job;

  // Jobs come from the per-thread frame pool, as their coroutine frames do: a spawn costs no
  // malloc, and no lock in a process that has other threads (glibc's malloc takes one then).
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* job, std::size_t size) noexcept { deallocate_frame(job, size); }

  /// `w` is told once when the job finishes (at once if it already has: no).
  void watch(JoinWatcher& w) noexcept;
  /// `w` no longer wants to be told; no effect if it is not watching.
  void unwatch(JoinWatcher& w) noexcept;

  /// The handle goes away: a finished job is freed (reporting an exception nobody retrieved);
  /// an unfinished one is cancelled if `cancel` (handle destroyed) and frees itself when done
  /// (a detached job reports an escaping exception).
  void drop_handle(bool cancel) noexcept;

  /// The exception the work ended with, or null.
  [[nodiscard]] virtual std::exception_ptr exception() const noexcept = 0;
  /// Whether the work ended by letting `Cancelled` (or `FiberExit`) escape.
  [[nodiscard]] bool ended_cancelled() const noexcept;

  bool finished = false;         // the work returned or threw
  bool frame_destroyed = false;  // the loop was destroyed before the work finished
  bool result_taken = false;     // the handle consumed the result

 protected:
  /// Links the job into its loop and queues `frame` (whose promise is `promise`) to run.
  /// If anything fails the job is freed (it is not started, nobody else knows it).
  void launch(PromiseBase& promise, std::coroutine_handle<> frame, const char* what);
  /// The work is done: unlink from the loop, tell the watchers, free the job if unowned.
  void finish() noexcept;
  /// The loop destroyed the work unfinished (after `free_frames`).
  void torn_down() noexcept;
  /// Releases what the work still holds (coroutine frame, stack).
  virtual void free_frames() noexcept = 0;

 private:
  void free_if_unowned() noexcept;

  IntrusiveList<JoinWatcher, &JoinWatcher::hook> watchers_;
  bool has_handle_ = true;
  bool notifying_ = false;  // inside finish()'s calls to the watchers
};

}  // namespace tide::detail
