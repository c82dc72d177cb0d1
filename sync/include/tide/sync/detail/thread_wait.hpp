#pragma once

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/loop.hpp>

// The waiting machinery of the sync objects that cross threads (ThreadQueue, ThreadEvent).
// The single-loop primitives stand on WaitQueue, which is loop-thread only; these stand on a
// list of their own under the object's mutex, whose waiters are plain threads (blocked on a
// condition variable) and tasks or fibres of any loop (woken through their loop's Remote).

namespace tide::detail {

/// How a cross-thread wait stands. Guarded by the owner's mutex.
enum class CrossState : std::uint8_t {
  waiting,  // in the owner's list
  woken,    // taken off the list and handed what it waited for (an item, a slot, a flag)
  closed,   // taken off the list by close(): it gets QueueClosed
  left,     // left the list on its own (timed out or cancelled), or gave back what it was handed
};

/// One party in a cross-thread wait list. A plain thread's node lives on its stack and is
/// signalled through `cv`; a task's or fibre's is shared (std::shared_ptr) by its awaiter and
/// the wake-up posted to its loop, since the awaiter may be gone when that wake-up runs.
struct CrossNode : std::enable_shared_from_this<CrossNode> {
  CrossNode() noexcept = default;
  CrossNode(const CrossNode&) = delete;
  CrossNode& operator=(const CrossNode&) = delete;
  virtual ~CrossNode() = default;

  ListHook<CrossNode> hook;                // in the owner's list while `state` is waiting
  CrossState state = CrossState::waiting;  // guarded by the owner's mutex
  std::condition_variable* cv = nullptr;   // a plain thread's; null for a loop-side waiter
  std::optional<Loop::Remote> remote;      // a loop-side waiter's loop (set before queueing)
  // Loop thread only: the awaiter the posted wake-up resumes; null once it no longer waits
  // for one (it was resumed, cancelled, timed out or destroyed).
  void* awaiter = nullptr;
  void (*on_woken)(void* awaiter) noexcept = nullptr;
};

using CrossList = IntrusiveList<CrossNode, &CrossNode::hook>;

/// Under the owner's mutex: takes `node` off `list` (if it is there) with the outcome `state`
/// and wakes its waiter: notifies a plain thread's condition variable (under the mutex, since
/// that variable lives on the waiter's stack), or posts the wake-up to a task's or fibre's loop.
void signal(CrossList& list, CrossNode& node, CrossState state) noexcept;

/// Under the owner's mutex: signals every node of `list`, oldest first.
void signal_all(CrossList& list, CrossState state) noexcept;

/// Plain thread, under `lock` (the owner's mutex): queues `node` on `list` and blocks until it
/// is signalled, or until `deadline` passes (the node then leaves the list: `left`).
CrossState block_thread(std::unique_lock<std::mutex>& lock, CrossList& list, CrossNode& node,
                        std::optional<std::chrono::steady_clock::time_point> deadline);

/// Refuses to block a thread whose loop is running: UsageError naming the object (`type` at
/// `object`), the `operation` ("get()") and the loop.
void check_may_block(const char* type, const void* object, const char* operation);

/// A task or fibre waiting in a cross-thread list. Its node carries the loop's Remote, so the
/// thread that signals it can post the wake-up; a wake-up runs on the loop and resumes the job
/// from the run phase, like any tide awaiter.
///
/// Cancellation (and destruction while waiting): the node leaves the list under the mutex, so
/// no later signal can reach it. If it was already handed something, `give_back` (under the
/// mutex) passes that on and the waiter leaves with `Cancelled`; when there is nothing to
/// give back (a put already done, an event's notification) the wake-up stands, the wait
/// completes, and `Cancelled` comes at the next suspension.
/// A deadline (`timeout`) that passes while still queued ends the wait with `left`; one that
/// passes after the waiter was handed something changes nothing: the value wins.
class CrossAwaiter : protected Waiter, private TimerNode {
 public:
  /// Under the owner's mutex: passes on what `node` was handed; false if there is nothing to
  /// pass on.
  using GiveBack = bool (*)(void* owner, CrossNode& node) noexcept;

  /// `what` names the wait for Loop::dump ("ThreadQueue get"); the owner's address follows.
  CrossAwaiter(std::mutex& mutex, CrossList& list, void* owner, GiveBack give_back,
               const char* what) noexcept
      : Waiter(&cancelled, &describe),
        mutex_(&mutex),
        list_(&list),
        owner_(owner),
        give_back_(give_back),
        what_(what) {}
  /// Only before it is awaited (as a wrapper like `tide::timeout` may move it).
  CrossAwaiter(CrossAwaiter&& other) noexcept
      : CrossAwaiter(*other.mutex_, *other.list_, other.owner_, other.give_back_, other.what_) {}
  CrossAwaiter& operator=(CrossAwaiter&&) = delete;
  ~CrossAwaiter();

 protected:
  /// Parks the job and, under the owner's mutex, either finds the wait over (`now()` returns
  /// true: no suspension) or queues `node`, with a deadline `timeout` from the loop's time if
  /// one is given (zero or less: the wait ends at once as `left`).
  template <TidePromise P, class Now>
  bool suspend(std::coroutine_handle<P> h, std::shared_ptr<CrossNode> node,
               std::optional<std::chrono::nanoseconds> timeout, Now&& now) {
    Job& j = *h.promise().job;
    node->remote.emplace(j.loop->owner.remote());
    node->awaiter = this;
    node->on_woken = &woken;
    std::lock_guard lock(*mutex_);
    if (now()) return false;
    if (timeout && *timeout <= std::chrono::nanoseconds::zero()) {
      timed_out_ = true;
      return false;
    }
    const bool parked = park_and_arm(j, h, [&] {
      if (timeout) {
        deadline = deadline_after(j.loop->now(), *timeout);
        fire = &expired;
        j.loop->add_timer(*this);
      }
      list_->push_back(*node);
      node_ = std::move(node);
    });
    if (!parked) cancelled_ = true;
    return parked;
  }

  /// From `await_resume`: raises a cancellation that ended the wait; otherwise says how it
  /// ended: `waiting` if it never suspended (its result is the owner's to say), `left` if the
  /// deadline passed first, else the state its signal gave it.
  CrossState finish();

  /// The node this awaiter queued (null if it never suspended).
  [[nodiscard]] CrossNode* node() const noexcept { return node_.get(); }

 private:
  static void woken(void* self) noexcept;
  static void cancelled(Waiter& w) noexcept;
  static void describe(const Waiter& w, WaitInfo& info);
  static void expired(TimerNode& timer) noexcept;
  /// Under the mutex: leaves the list, or gives back what was handed; false if the wake-up
  /// stands.
  bool withdraw_locked() noexcept;
  void disarm() noexcept;

  std::mutex* mutex_;
  CrossList* list_;
  void* owner_;
  GiveBack give_back_;
  const char* what_;
  std::shared_ptr<CrossNode> node_;
  bool cancelled_ = false;
  bool timed_out_ = false;
  bool resumed_ = false;
};

/// Runs a blocking wait from plain code: a fibre awaits `make_awaiter()` (suspending only
/// itself), a plain thread runs `block()`; a task on a running loop gets UsageError (see
/// check_may_block).
template <class MakeAwaiter, class Block>
decltype(auto) wait_from_plain_code(const char* type, const void* object, const char* operation,
                                    MakeAwaiter&& make_awaiter, Block&& block) {
  if (FiberJob::running() != nullptr) return tide::await(make_awaiter());
  check_may_block(type, object, operation);
  return block();
}

}  // namespace tide::detail
