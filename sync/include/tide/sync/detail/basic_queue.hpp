#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/ring.hpp>
#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>

namespace tide::detail {

// Raise the queue errors with a message naming the queue (sync/src/basic_queue.cpp).
[[noreturn]] void throw_queue_closed(const char* type, const void* queue, const char* operation);
[[noreturn]] void throw_queue_drained(const char* type, const void* queue, const char* operation);
[[noreturn]] void throw_task_done_overflow(const char* type, const void* queue);

// Storage policies of BasicQueue: where items wait and which one leaves next. Each has
// `push` (a new item), `pop` (the next one out; never called when empty) and `restore` (an
// item that was taken and comes back unused: it must be the next one out again).

/// First in, first out (tide::Queue).
template <class T>
class FifoStorage {
 public:
  static constexpr const char* name = "tide::Queue";
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() noexcept { return items_.pop_front(); }
  void restore(T&& item) { items_.push_front(std::move(item)); }

 private:
  Ring<T> items_;
};

/// Last in, first out (tide::LifoQueue).
template <class T>
class LifoStorage {
 public:
  static constexpr const char* name = "tide::LifoQueue";
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() noexcept {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  void restore(T&& item) { items_.push_back(std::move(item)); }

 private:
  std::vector<T> items_;
};

/// Smallest first by `Compare` (tide::PriorityQueue), a binary heap: items that compare equal
/// leave in no particular order.
template <class T, class Compare>
class HeapStorage {
 public:
  static constexpr const char* name = "tide::PriorityQueue";
  explicit HeapStorage(Compare compare = Compare()) : later_{std::move(compare)} {}
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) {
    items_.push_back(std::move(item));
    std::push_heap(items_.begin(), items_.end(), later_);
  }
  T pop() noexcept {
    std::pop_heap(items_.begin(), items_.end(), later_);
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  void restore(T&& item) { push(std::move(item)); }

 private:
  // The std heap functions keep the greatest element by their comparator at the front; with the
  // arguments swapped that is the smallest by the user's one.
  struct Later {
    Compare compare;
    bool operator()(const T& a, const T& b) const { return compare(b, a); }
  };
  std::vector<T> items_;
  Later later_;
};

/// What Queue, LifoQueue and PriorityQueue share: everything but the storage policy.
///
/// Three wait queues: getters (they wait only while no item is stored), putters (only while
/// the queue is full) and joiners (until every item put is marked done). Items are handed over
/// before the waiter resumes: a put that finds getters waiting stores the item and `pump()`
/// moves it at once into the first getter's slot; a get that frees a place moves the first
/// waiting putter's item in. So a waiter that is cancelled or times out has taken nothing, and
/// nobody can take an item between its hand-over and the waiter's resumption.
template <class T, class Storage>
class BasicQueue {
  // Hand-overs happen in pump(), which runs from destructors (an unclaimed item is passed on):
  // moving an item must not throw.
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "tide queues need an item type whose move constructor does not throw");

 public:
  class GetAwaiter;
  class GetForAwaiter;
  class PutAwaiter;
  class PutForAwaiter;
  class JoinAwaiter;

  explicit BasicQueue(std::size_t maxsize, Storage storage = Storage())
      : storage_(std::move(storage)), maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;
  /// No task or fibre may still wait on it; items still queued are destroyed.
  ~BasicQueue() = default;

  /// Items queued now (a waiter handed an item that has not resumed yet holds it already).
  [[nodiscard]] std::size_t size() const noexcept { return storage_.size(); }
  [[nodiscard]] bool empty() const noexcept { return storage_.size() == 0; }
  /// True when a put would wait: `maxsize()` items queued (never for an unbounded queue).
  [[nodiscard]] bool full() const noexcept { return maxsize_ != 0 && storage_.size() >= maxsize_; }
  /// The bound given at construction; 0 means unbounded.
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }

  /// Queues `item` if there is room (a waiting getter gets it at once); moves from `item` only
  /// then. False, leaving `item` alone, when the queue is full. Throws QueueClosed once closed.
  template <class U>
  requires std::constructible_from<T, U&&>
  bool try_put(U&& item) {
    thread_.check(Storage::name, this);
    if (closed_) throw_queue_closed(Storage::name, this, "try_put()");
    if (full()) return false;
    store(T(std::forward<U>(item)));
    return true;
  }

  /// The next item if one is queued (a putter waiting for room then puts its item in), else
  /// nothing. Throws QueueClosed once the queue is closed and drained.
  std::optional<T> try_get() {
    thread_.check(Storage::name, this);
    if (empty()) {
      if (closed_) throw_queue_drained(Storage::name, this, "try_get()");
      return std::nullopt;
    }
    return take();
  }

  /// Awaitable: queues `item`, waiting while the queue is full; putters waiting for room are
  /// served in the order they started waiting. Throws QueueClosed if the queue is closed
  /// before the item is in.
  /// Cancellation: the putter leaves with its item (it is not queued, and is destroyed with
  /// the awaiter); the next putter's turn is not delayed.
  /// Thread safety: the queue's loop only; another thread gets UsageError.
  [[nodiscard]] PutAwaiter put(T item) {
    thread_.check(Storage::name, this);
    return PutAwaiter(*this, std::move(item));
  }

  /// Awaitable: as `put`, waiting at most `timeout`; true once the item is queued, false if the
  /// time ran out first (the item was not queued and is destroyed with the awaiter).
  /// Cancellation: as `put`.
  /// Thread safety: the queue's loop only; another thread gets UsageError.
  template <class Rep, class Period>
  [[nodiscard]] PutForAwaiter put_for(T item, std::chrono::duration<Rep, Period> timeout) {
    thread_.check(Storage::name, this);
    return PutForAwaiter(*this, std::move(item), clamp_to_nanoseconds(timeout));
  }

  /// Awaitable yielding the next item, waiting while the queue is empty; getters are served
  /// in the order they started waiting. Once the queue is closed, items still queued are
  /// handed out, and then QueueClosed is raised.
  /// Cancellation: the getter leaves with nothing: an item handed to it first is still
  /// returned (the cancellation comes at the next suspension point); otherwise the next
  /// item goes to the next getter. A getter whose task or fibre is destroyed after an item
  /// was handed to it, before it resumed, gives the item back for the next getter.
  /// Thread safety: the queue's loop only; another thread gets UsageError.
  [[nodiscard]] GetAwaiter get() {
    thread_.check(Storage::name, this);
    return GetAwaiter(*this);
  }

  /// Awaitable: as `get`, waiting at most `timeout`; the item, or nothing if the time ran out
  /// first (having taken nothing). Cancellation: as `get`.
  /// Thread safety: the queue's loop only; another thread gets UsageError.
  template <class Rep, class Period>
  [[nodiscard]] GetForAwaiter get_for(std::chrono::duration<Rep, Period> timeout) {
    thread_.check(Storage::name, this);
    return GetForAwaiter(*this, clamp_to_nanoseconds(timeout));
  }

  /// Marks one item taken from the queue as processed (Python's `task_done`). Throws
  /// UsageError when called more often than items were put.
  void task_done() {
    thread_.check(Storage::name, this);
    if (unfinished_ == 0) throw_task_done_overflow(Storage::name, this);
    if (--unfinished_ == 0) joiners_.wake_all();
  }

  /// Awaitable: waits until every item put so far has been marked with `task_done` (returns
  /// at once if none is outstanding). Closing the queue does not end the wait.
  /// Cancellation: the joiner leaves; nothing is taken.
  /// Thread safety: the queue's loop only; another thread gets UsageError.
  [[nodiscard]] JoinAwaiter join() {
    thread_.check(Storage::name, this);
    return JoinAwaiter(joiners_, &all_done, this);
  }

  /// Closes the queue: waiting putters and every later put raise QueueClosed (their items
  /// are not queued); gets hand out what is queued and then raise QueueClosed, waiting getters
  /// at once (they wait only while the queue is empty). Closing twice does nothing more.
  void close() {
    thread_.check(Storage::name, this);
    if (closed_) return;
    closed_ = true;
    putters_.wake_all();
    getters_.wake_all();
  }

 private:
  static bool all_done(const void* self) noexcept {
    return static_cast<const BasicQueue*>(self)->unfinished_ == 0;
  }
  // The `unclaimed` hook of all three wait queues: a getter's destructor has already given its
  // item back and passed it on (give_back), a putter's item is already in, and a join's
  // wake-up is its own; the queue's default, waking the next waiter, would wake a getter with
  // no item or a putter whose item was not taken.
  static void keep_nothing(void*) noexcept {}
  // For Loop::dump: "Queue 0x... get (empty)", "Queue 0x... put (full: 10 items)".
  void describe_as(const char* what, WaitInfo& info) const {
    std::string_view type = Storage::name;
    if (type.starts_with("tide::")) type.remove_prefix(6);
    info.what = std::string(type) + " " + describe_address(this) + " " + what + " (" +
                std::to_string(size()) + (size() == 1 ? " item" : " items") +
                (maxsize_ != 0 ? " of " + std::to_string(maxsize_) : std::string()) +
                (closed_ ? ", closed)" : ")");
  }
  static void describe_get(const void* self, WaitInfo& info) {
    static_cast<const BasicQueue*>(self)->describe_as("get", info);
  }
  static void describe_put(const void* self, WaitInfo& info) {
    static_cast<const BasicQueue*>(self)->describe_as("put", info);
  }
  static void describe_join(const void* self, WaitInfo& info) {
    const auto& queue = *static_cast<const BasicQueue*>(self);
    queue.describe_as("join", info);
    info.what += " (" + std::to_string(queue.unfinished_) + " unfinished)";
  }

  /// Queues a new item and serves whoever it unblocks.
  void store(T&& item) {
    storage_.push(std::move(item));
    ++unfinished_;
    pump();
  }
  /// Takes the next item (the queue is not empty) and lets a waiting putter fill the place.
  T take() noexcept {
    T item = storage_.pop();
    pump();
    return item;
  }
  /// An item handed to a getter that was destroyed before it resumed: it is the next one out.
  /// If puts filled the queue meanwhile it is one over `maxsize` until gets bring it down
  /// (`full()` holds, so putters wait); dropping the item instead would lose it.
  void give_back(T&& item) noexcept {
    storage_.restore(std::move(item));  // a failed allocation here terminates: no way to report
    pump();
  }
  /// Hands stored items to waiting getters and moves waiting putters' items into free places,
  /// until neither can go on. Runs after every change, so getters wait only while nothing is
  /// stored and putters only while the queue is full.
  void pump() noexcept {
    // Inline so that the common case, nobody waiting, costs two tests and no call.
    if (!getters_.empty() || !putters_.empty()) serve_waiters();
  }
  void serve_waiters() noexcept;

  Storage storage_;
  std::size_t maxsize_;  // 0: unbounded
  // Items put and not yet marked done: stored ones, handed-over ones, ones being processed.
  std::size_t unfinished_ = 0;
  WaitQueue getters_{{.owner = this, .unclaimed = &keep_nothing, .describe = &describe_get}};
  WaitQueue putters_{{.owner = this, .unclaimed = &keep_nothing, .describe = &describe_put}};
  WaitQueue joiners_{{.owner = this, .unclaimed = &keep_nothing, .describe = &describe_join}};
  ThreadBound thread_;
  bool closed_ = false;
};

/// `co_await queue.get()`: the next item; QueueClosed once closed and drained.
template <class T, class Storage>
class [[nodiscard]] BasicQueue<T, Storage>::GetAwaiter : public WaitQueue::Awaiter {
 public:
  explicit GetAwaiter(BasicQueue& queue,
                      std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept
      : Awaiter(queue.getters_, nullptr, nullptr, std::nullopt, timeout), queue_(&queue) {}
  // Moved only before it is awaited (into tide::timeout's task), when it holds no item.
  GetAwaiter(GetAwaiter&& other) noexcept : Awaiter(std::move(other)), queue_(other.queue_) {}
  ~GetAwaiter() {
    // Handed an item and destroyed before it resumed (its task or fibre went first): the item
    // goes back and on to the next getter waiting, if any.
    if (slot_) queue_->give_back(std::move(*std::exchange(slot_, std::nullopt)));
  }

  bool await_ready() noexcept {
    if (!queue_->empty()) {
      slot_.emplace(queue_->take());
      return true;
    }
    return queue_->closed_;
  }
  T await_resume() {
    WaitQueue::Awaiter::await_resume();  // raises Cancelled when it left with nothing
    if (!slot_) throw_queue_drained(Storage::name, queue_, "get()");
    return take_slot();
  }

 protected:
  [[nodiscard]] bool holds_item() const noexcept { return slot_.has_value(); }
  T take_slot() noexcept {
    T item = std::move(*slot_);
    slot_.reset();
    return item;
  }
  [[nodiscard]] BasicQueue& owner() const noexcept { return *queue_; }

 private:
  friend class BasicQueue;

  BasicQueue* queue_;
  std::optional<T> slot_;  // the item handed over; empty until then and once returned
};

/// `co_await queue.get_for(timeout)`: the next item, or nothing once the time is up.
template <class T, class Storage>
class [[nodiscard]] BasicQueue<T, Storage>::GetForAwaiter : public GetAwaiter {
 public:
  using GetAwaiter::GetAwaiter;
  std::optional<T> await_resume() {
    const WaitResult result = WaitQueue::Awaiter::await_resume();  // raises Cancelled
    if (this->holds_item()) return this->take_slot();
    if (result == WaitResult::timed_out) return std::nullopt;
    throw_queue_drained(Storage::name, &this->owner(), "get_for()");
  }
};

/// `co_await queue.put(item)`: returns once the item is queued; QueueClosed if closed first.
template <class T, class Storage>
class [[nodiscard]] BasicQueue<T, Storage>::PutAwaiter : public WaitQueue::Awaiter {
 public:
  PutAwaiter(BasicQueue& queue, T item,
             std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept
      : Awaiter(queue.putters_, nullptr, nullptr, std::nullopt, timeout),
        queue_(&queue),
        item_(std::move(item)) {}
  // Moved only before it is awaited (into tide::timeout's task).
  PutAwaiter(PutAwaiter&& other) noexcept
      : Awaiter(std::move(other)), queue_(other.queue_), item_(std::move(other.item_)) {}

  bool await_ready() {
    if (queue_->closed_) return true;
    if (queue_->full()) return false;
    queue_->store(std::move(item_));
    delivered_ = true;
    return true;
  }
  void await_resume() {
    WaitQueue::Awaiter::await_resume();  // raises Cancelled when it left with its item
    if (!delivered_) throw_queue_closed(Storage::name, queue_, "put()");
  }

 protected:
  [[nodiscard]] bool delivered() const noexcept { return delivered_; }
  [[nodiscard]] BasicQueue& owner() const noexcept { return *queue_; }

 private:
  friend class BasicQueue;

  BasicQueue* queue_;
  T item_;                  // moved into the queue once delivered_ is set
  bool delivered_ = false;  // the item is in the queue (set before the putter is woken)
};

/// `co_await queue.put_for(item, timeout)`: true once queued, false if the time ran out.
template <class T, class Storage>
class [[nodiscard]] BasicQueue<T, Storage>::PutForAwaiter : public PutAwaiter {
 public:
  using PutAwaiter::PutAwaiter;
  bool await_resume() {
    const WaitResult result = WaitQueue::Awaiter::await_resume();  // raises Cancelled
    if (this->delivered()) return true;
    if (result == WaitResult::timed_out) return false;
    throw_queue_closed(Storage::name, &this->owner(), "put_for()");
  }
};

/// `co_await queue.join()`: returns once no item is outstanding.
template <class T, class Storage>
class [[nodiscard]] BasicQueue<T, Storage>::JoinAwaiter : public WaitQueue::Awaiter {
 public:
  using Awaiter::Awaiter;
  void await_resume() { Awaiter::await_resume(); }
};

template <class T, class Storage>
void BasicQueue<T, Storage>::serve_waiters() noexcept {
  for (;;) {
    if (!empty() && !getters_.empty()) {
      auto& getter = static_cast<GetAwaiter&>(*getters_.front());
      getter.slot_.emplace(storage_.pop());
      getters_.wake_one();
    } else if (!putters_.empty() && !full()) {
      auto& putter = static_cast<PutAwaiter&>(*putters_.front());
      // Storage may allocate here (growing): failing to, in a noexcept path, terminates.
      storage_.push(std::move(putter.item_));
      putter.delivered_ = true;
      ++unfinished_;
      putters_.wake_one();
    } else {
      return;
    }
  }
}

}  // namespace tide::detail
