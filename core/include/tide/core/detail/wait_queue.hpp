#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/timer_heap.hpp>

namespace tide::detail {

/// How a wait in a WaitQueue ended.
enum class WaitResult : std::uint8_t {
  ready,      // the `ready` condition held at once: nothing was handed over, take it yourself
  woken,      // a waker handed over what the waiter waited for
  timed_out,  // the deadline passed first: the waiter left the queue with nothing
};

/// One party parked in a WaitQueue: a suspended task or fibre (WaitQueue::Awaiter), or any
/// object that wants a call when its turn comes (a receiver waiting for a pool buffer).
struct WaitNode {
  using WakeFn = void (*)(WaitNode&) noexcept;
  explicit WaitNode(WakeFn wake) noexcept : on_wake(wake) {}
  WaitNode(const WaitNode&) = delete;
  WaitNode& operator=(const WaitNode&) = delete;

  ListHook<WaitNode> hook;
  WakeFn on_wake;  // called once the node is out of the queue; must not re-enter the caller
  Job* parked_job = nullptr;  // the task or fibre parked here, if one is (Loop::dump)
};

/// The one wait queue under every parked waiter that is not a kernel operation: pools,
/// receivers and acceptors, and the sync primitives. FIFO. A waker hands the first waiter what
/// it waited for before the waiter resumes, so nothing can take it in between (no barging, no
/// lost wake-up). A waiter that is cancelled or times out leaves the queue at once, so a
/// wake-up never lands on it: it goes to the next waiter.
///
/// Owners can hook in where the queue alone cannot know what to do:
/// - `left`: a waiter left without being woken (cancelled, timed out, destroyed while parked);
/// - `unclaimed`: a woken waiter was destroyed before it resumed (its task went with its loop,
///   or its fibre was unwound): pass on what it was handed (a permit, a slot, an item). With
///   no hook the wake-up itself is passed on: the next waiter is woken.
/// - `describe`: what waiting here means, for `Loop::dump` ("Mutex 0x... held by task #4"),
///   and the job that must act first if one must; the queue adds the waiter's place in line.
///   Without it, `what` and the owner's address say it ("Queue get" -> "Queue 0x... get").
/// Loop thread only.
class WaitQueue {
 public:
  /// Whether the wait is over before it starts: checked by `await_ready`.
  using Ready = bool (*)(const void* context) noexcept;
  using DescribeFn = void (*)(const void* owner, WaitInfo& info);
  struct Hooks {
    void* owner = nullptr;
    void (*left)(void* owner) noexcept = nullptr;
    void (*unclaimed)(void* owner) noexcept = nullptr;
    DescribeFn describe = nullptr;
    const char* what = nullptr;
  };
  class Awaiter;

  WaitQueue() noexcept = default;
  explicit WaitQueue(Hooks hooks) noexcept : hooks_(hooks) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  /// Await it to wait until woken, unless `ready(context)` says there is nothing to wait for.
  [[nodiscard]] Awaiter wait(Ready ready = nullptr, const void* context = nullptr) noexcept;
  /// The same, giving up at `deadline` (on the loop's clock) with WaitResult::timed_out.
  [[nodiscard]] Awaiter wait_until(Clock::time_point deadline, Ready ready = nullptr,
                                   const void* context = nullptr) noexcept;
  /// The same, giving up `timeout` after the wait starts (measured from the loop's `now()`
  /// when it suspends; zero or less: only `ready` is checked).
  [[nodiscard]] Awaiter wait_for(std::chrono::nanoseconds timeout, Ready ready = nullptr,
                                 const void* context = nullptr) noexcept;

  [[nodiscard]] bool empty() const noexcept { return waiters_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The longest waiting node (the next to be woken), or null.
  [[nodiscard]] WaitNode* front() const noexcept { return waiters_.front(); }
  /// The job of the longest waiting node, or null (none waits, or the node is no job's).
  [[nodiscard]] Job* front_job() const noexcept {
    const WaitNode* node = waiters_.front();
    return node != nullptr ? node->parked_job : nullptr;
  }

  /// What a wait on this queue is, with `node`'s place in line (Loop::dump).
  void describe(const WaitNode& node, WaitInfo& info) const;

  /// Parks a node that is not an awaiter (it is woken through its `on_wake`).
  void push(WaitNode& node) noexcept {
    waiters_.push_back(node);
    ++size_;
  }
  /// Parks `job` at `node` in a wait no cancellation interrupts (see Job::quiet_wait); the
  /// node's wake function must call `unpark_quietly` before resuming the job.
  void park_quietly(WaitNode& node, Job& job) noexcept {
    node.parked_job = &job;
    job.quiet_wait = {this, &node};
    job.parked_at = loop_time(*job.loop);
    push(node);
  }
  /// The quiet wait at `node` is over (woken, or its coroutine destroyed).
  static void unpark_quietly(WaitNode& node) noexcept {
    if (node.parked_job != nullptr && node.parked_job->quiet_wait.node == &node)
      node.parked_job->quiet_wait = {};
  }
  /// Takes `node` out without waking it and without the `left` hook; no effect if not queued.
  void remove(WaitNode& node) noexcept {
    if (!IntrusiveList<WaitNode, &WaitNode::hook>::linked(node)) return;
    waiters_.remove(node);
    --size_;
  }
  /// Wakes the longest waiting node; false if none waits.
  bool wake_one() noexcept {
    WaitNode* node = waiters_.pop_front();
    if (node == nullptr) return false;
    --size_;
    node->on_wake(*node);
    return true;
  }
  /// Wakes every node waiting now (nodes that queue again meanwhile wait for the next call).
  void wake_all() noexcept {
    IntrusiveList<WaitNode, &WaitNode::hook> now = std::move(waiters_);
    size_ = 0;
    while (WaitNode* node = now.pop_front())
      node->on_wake(*node);
  }

 private:
  void left() noexcept {
    if (hooks_.left) hooks_.left(hooks_.owner);
  }
  void pass_on() noexcept {
    if (hooks_.unclaimed)
      hooks_.unclaimed(hooks_.owner);
    else
      wake_one();
  }

  IntrusiveList<WaitNode, &WaitNode::hook> waiters_;
  std::size_t size_ = 0;
  Hooks hooks_;
};

/// A task or fibre waiting in a WaitQueue; `co_await` yields a WaitResult.
/// Cancellation: leaves the queue (the `left` hook runs) and raises `Cancelled`; a wake-up
/// that came first wins (the wait returns `woken` and `Cancelled` comes at the next
/// suspension). A deadline that passes first likewise leaves with nothing (`timed_out`).
class WaitQueue::Awaiter : protected Waiter, public WaitNode, private TimerNode {
 public:
  /// At most one limit: `until` (absolute), or `timeout` (from the loop's time at suspension).
  Awaiter(WaitQueue& queue, Ready ready, const void* context,
          std::optional<Clock::time_point> until = std::nullopt,
          std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept
      : Waiter(&cancelled, &describe_wait),
        WaitNode(&woken),
        queue_(&queue),
        ready_(ready),
        context_(context),
        until_(until),
        timeout_(timeout) {}
  Awaiter(Awaiter&& other) noexcept
      : Awaiter(*other.queue_, other.ready_, other.context_, other.until_, other.timeout_) {}
  ~Awaiter() {
    if (engaged_) [[unlikely]]
      disengage();  // a wait that never suspended has nothing to undo: the common case inline
  }

  bool await_ready() const noexcept { return ready_ != nullptr && ready_(context_); }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, [] {});
  }
  WaitResult await_resume() {
    resumed_ = true;
    if (cancelled_) job->throw_cancelled();
    return result_;
  }

  [[nodiscard]] WaitQueue& queue() const noexcept { return *queue_; }

 protected:
  /// Parks the job, queues this awaiter (and arms its deadline), then runs `then()` (it may
  /// wake this awaiter at once, which resumes it from the run phase). If `then` throws, the
  /// awaiter leaves the queue and the exception propagates (the task does not suspend).
  template <TidePromise P, class Then>
  bool suspend(std::coroutine_handle<P> h, Then&& then) {
    Job& j = *h.promise().job;
    engaged_ = true;
    if (timeout_) until_ = deadline_after(j.loop->now(), *timeout_);
    if (until_ && *until_ <= j.loop->now()) {  // no time left: do not wait at all
      result_ = WaitResult::timed_out;
      cancelled_ = j.cancel_pending;
      job = &j;  // await_resume raises a pending cancellation through it
      return false;
    }
    parked_job = &j;
    const bool parked = park_and_arm(j, h, [&] {
      if (until_) {
        deadline = *until_;
        fire = &expired;
        j.loop->add_timer(*this);
      }
      queue_->push(*this);
      try {
        then();
      } catch (...) {
        queue_->remove(*this);
        if (TimerNode::armed()) j.loop->remove_timer(*this);
        throw;
      }
    });
    if (!parked) cancelled_ = true;
    return parked;
  }
  /// After a final wake-up from a queue that is going away: this awaiter no longer refers to
  /// it (nothing is passed on if its task is destroyed before it resumes).
  void leave_queue() noexcept { queue_ = nullptr; }

 private:
  // Out of line: unlinks, disarms and passes on whatever a suspended wait left behind.
  [[gnu::noinline]] void disengage() noexcept {
    if (TimerNode::armed()) job->loop->remove_timer(*this);
    if (queue_ == nullptr) return;
    if (IntrusiveList<WaitNode, &WaitNode::hook>::linked(*this)) {
      queue_->remove(*this);  // its task was destroyed while parked
      queue_->left();
    } else if (result_ == WaitResult::woken && !resumed_) {
      queue_->pass_on();  // woken, then destroyed before it could use the wake-up
    }
  }
  void disarm() noexcept {
    if (TimerNode::armed()) job->loop->remove_timer(*this);
  }
  static void woken(WaitNode& node) noexcept {
    auto& self = static_cast<Awaiter&>(node);
    self.disarm();
    self.result_ = WaitResult::woken;
    self.wake();
  }
  static void expired(TimerNode& timer) noexcept {
    auto& self = static_cast<Awaiter&>(timer);
    self.queue_->remove(self);
    self.result_ = WaitResult::timed_out;
    self.wake();
    self.queue_->left();
  }
  static void describe_wait(const Waiter& w, WaitInfo& info) {
    const auto& self = static_cast<const Awaiter&>(w);
    if (self.queue_ != nullptr) self.queue_->describe(self, info);
    if (self.TimerNode::armed()) info.what += " until " + describe_deadline(self.deadline);
  }
  static void cancelled(Waiter& w) noexcept {
    auto& self = static_cast<Awaiter&>(w);
    self.disarm();
    self.queue_->remove(self);
    self.cancelled_ = true;
    self.resume_cancelled();
    self.queue_->left();
  }

  WaitQueue* queue_;
  Ready ready_;
  const void* context_;
  std::optional<Clock::time_point> until_;
  std::optional<std::chrono::nanoseconds> timeout_;
  WaitResult result_ = WaitResult::ready;
  bool cancelled_ = false;
  bool resumed_ = false;
  bool engaged_ = false;  // it went through suspend(): there may be something to undo
};

inline WaitQueue::Awaiter WaitQueue::wait(Ready ready, const void* context) noexcept {
  return Awaiter(*this, ready, context);
}
inline WaitQueue::Awaiter WaitQueue::wait_until(Clock::time_point deadline, Ready ready,
                                                const void* context) noexcept {
  return Awaiter(*this, ready, context, deadline);
}
inline WaitQueue::Awaiter WaitQueue::wait_for(std::chrono::nanoseconds timeout, Ready ready,
                                              const void* context) noexcept {
  return Awaiter(*this, ready, context, std::nullopt, timeout);
}

}  // namespace tide::detail
