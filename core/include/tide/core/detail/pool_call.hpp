#pragma once

#include <atomic>
#include <exception>
#include <memory>

#include <tide/core/detail/callback.hpp>
#include <tide/core/detail/job.hpp>

namespace tide::detail {

class Inbox;

/// One blocking call handed to a thread pool, shared by the awaiting task (loop thread) and a
/// worker. Stages move forward only: queued -> running -> done, or queued -> withdrawn (the
/// awaiter was cancelled first) or queued -> dropped (the pool shut down first).
class PoolCall {
 public:
  enum Stage : int { queued, running, done, withdrawn, dropped };

  PoolCall() = default;
  PoolCall(const PoolCall&) = delete;
  PoolCall& operator=(const PoolCall&) = delete;
  virtual ~PoolCall() = default;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  /// Worker side: runs the call unless it was withdrawn, then posts the completion back.
  /// Consumes the queue's reference.
  void execute() noexcept;
  /// Pool shutting down before the call ran: the awaiter is told so. Consumes the queue's
  /// reference.
  void drop() noexcept;
  /// Loop side: withdraw a call that has not started, and release its callable at once (the
  /// queue's entry stays until a worker skips it, but holds nothing of the caller's then).
  /// False if it already runs (or ran). O(1): the queue is not searched.
  bool withdraw() noexcept;
  /// Loop side, from a frame being destroyed: withdraw it, or wait until it is done, so the
  /// callable never outlives what it may reference.
  void abandon() noexcept;

  [[nodiscard]] Stage stage() const noexcept {
    return Stage(stage_.load(std::memory_order_acquire));
  }

  // Loop-thread state.
  std::shared_ptr<Inbox> inbox;                   // where the completion is posted
  void (*on_done)(PoolCall&) noexcept = nullptr;  // runs on the loop thread
  void* awaiter = nullptr;                        // null once the awaiter is gone

 protected:
  virtual void invoke() noexcept = 0;  // runs the callable, stores its result or exception
  // Destroys the callable unrun. Called on the loop thread once the call is withdrawn: no
  // worker touches the callable after that (the stage says it must not run).
  virtual void discard() noexcept = 0;

 private:
  void post_completion() noexcept;  // consumes the queue's reference

  std::atomic<int> refs_{1};
  std::atomic<int> stage_{queued};
};

}  // namespace tide::detail
