#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>
#include <tide/sync/detail/thread_wait.hpp>

namespace tide {

/// A FIFO queue between threads and loops, like Python's `queue.Queue` with an async side:
/// plain threads block on it, tasks and fibres await it, and any mix of them (on any number
/// of loops) may put and get at once.
///
///     tide::ThreadQueue<Job> jobs(100);        // at most 100 items; 0: unbounded
///     // a worker thread:   jobs.put(job);      Job j = jobs.get();      (they block)
///     // a task:            co_await jobs.put(job);   Job j = co_await jobs.get();
///     // a fibre:           tide::await(jobs.put(job));   Job j = tide::await(jobs.get());
///
/// `put(x)` and `get()` return an operation: awaited, it suspends only the awaiting task or
/// fibre (the loop runs on, and sleeps when it has nothing else to do); not awaited, it blocks
/// the calling thread (`q.put(x);` as a statement, `T v = q.get();` as a conversion). In a
/// fibre the blocking forms suspend the fibre instead; in a task on a running loop they are a
/// UsageError, since they would block the loop.
///
/// Waiters of both kinds are served in the order they started waiting, and an item is handed
/// to the first waiting getter directly (no barging). With `maxsize`, puts wait while the
/// queue is full and are admitted one by one as gets make room.
///
/// `close()` ends the queue: puts, and gets once the queue is drained, raise QueueClosed, on
/// both sides, including the ones waiting at that moment.
///
/// Thread safety: every member may be called from any thread. The queue must outlive every
/// thread, task and fibre using it.
template <class T>
class ThreadQueue {
 public:
  /// `maxsize` 0: unbounded.
  explicit ThreadQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  ThreadQueue(const ThreadQueue&) = delete;
  ThreadQueue& operator=(const ThreadQueue&) = delete;
  /// Nothing may still wait on it.
  ~ThreadQueue() = default;

  class GetAwaiter;
  class GetForAwaiter;
  class PutAwaiter;
  class PutForAwaiter;

  /// `get()`'s result: awaited (`co_await q.get()`, `tide::await(q.get())`) or converted
  /// (`T v = q.get();`, which blocks a plain thread).
  class [[nodiscard]] GetOp {
   public:
    /// Blocks until an item comes (suspends a fibre instead); QueueClosed once the queue is
    /// closed and drained; UsageError in a task on a running loop.
    operator T() const {  // NOLINT(google-explicit-constructor): `T v = q.get();` on purpose
      return detail::wait_from_plain_code(
          "tide::ThreadQueue", queue_, "get()", [&] { return GetAwaiter(*queue_); },
          [&] { return std::move(*queue_->get_blocking(std::nullopt)); });
    }
    GetAwaiter operator co_await() const&& noexcept { return GetAwaiter(*queue_); }

   private:
    friend class ThreadQueue;
    explicit GetOp(ThreadQueue& queue) noexcept : queue_(&queue) {}
    ThreadQueue* queue_;
  };

  /// `put(x)`'s result: awaited, or discarded (`q.put(x);` blocks a plain thread until there
  /// is room, or suspends a fibre).
  class PutOp {  // not [[nodiscard]]: `q.put(x);` is the blocking form
   public:
    PutOp(PutOp&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
        : queue_(other.queue_), item_(std::move(other.item_)) {
      other.used_ = true;  // the moved-to operation is the one that puts
    }
    PutOp& operator=(PutOp&&) = delete;
    /// Not awaited: blocks until the item is in (raising QueueClosed or UsageError from here).
    ~PutOp() noexcept(false) {
      if (!used_ && std::uncaught_exceptions() == uncaught_) {
        used_ = true;
        detail::wait_from_plain_code(
            "tide::ThreadQueue", queue_, "put()",
            [&] { return PutAwaiter(*queue_, std::move(*item_)); },
            [&] { queue_->put_blocking(std::move(*item_), std::nullopt); });
      }
    }
    PutAwaiter operator co_await() && {
      used_ = true;
      return PutAwaiter(*queue_, std::move(*item_));
    }

   private:
    friend class ThreadQueue;
    PutOp(ThreadQueue& queue, T&& item) : queue_(&queue), item_(std::move(item)) {}
    ThreadQueue* queue_;
    std::optional<T> item_;
    int uncaught_ = std::uncaught_exceptions();
    bool used_ = false;
  };

  /// `get_for(d)`'s result: awaited, or converted (`std::optional<T> v = q.get_for(d);`, which
  /// blocks a plain thread at most `d`); nullopt if the time ran out first.
  class [[nodiscard]] GetForOp {
   public:
    operator std::optional<T>() const {  // NOLINT(google-explicit-constructor): on purpose
      return detail::wait_from_plain_code(
          "tide::ThreadQueue", queue_, "get_for()",
          [&] { return GetForAwaiter(*queue_, timeout_); },
          [&] {
            return queue_->get_blocking(detail::deadline_after(detail::Clock::now(), timeout_));
          });
    }
    GetForAwaiter operator co_await() const&& noexcept { return GetForAwaiter(*queue_, timeout_); }

   private:
    friend class ThreadQueue;
    GetForOp(ThreadQueue& queue, std::chrono::nanoseconds timeout) noexcept
        : queue_(&queue), timeout_(timeout) {}
    ThreadQueue* queue_;
    std::chrono::nanoseconds timeout_;
  };

  /// `put_for(x, d)`'s result: awaited, or converted (`bool ok = q.put_for(x, d);`, which
  /// blocks a plain thread at most `d`); false if the time ran out first (the item is dropped).
  /// Used once.
  class [[nodiscard]] PutForOp {
   public:
    operator bool() {  // NOLINT(google-explicit-constructor): `bool ok = q.put_for(x, d);`
      return detail::wait_from_plain_code(
          "tide::ThreadQueue", queue_, "put_for()",
          [&] { return PutForAwaiter(*queue_, std::move(*item_), timeout_); },
          [&] {
            return queue_->put_blocking(std::move(*item_),
                                        detail::deadline_after(detail::Clock::now(), timeout_));
          });
    }
    PutForAwaiter operator co_await() && {
      return PutForAwaiter(*queue_, std::move(*item_), timeout_);
    }

   private:
    friend class ThreadQueue;
    PutForOp(ThreadQueue& queue, T&& item, std::chrono::nanoseconds timeout)
        : queue_(&queue), item_(std::move(item)), timeout_(timeout) {}
    ThreadQueue* queue_;
    std::optional<T> item_;
    std::chrono::nanoseconds timeout_;
  };

  /// Takes the oldest item, waiting for one: see GetOp.
  /// Cancellation: the waiter leaves; an item already handed to it goes back to the front of
  /// the queue (or to the next getter), so nothing is lost. A `tide::timeout` around it gives
  /// its item back the same way.
  /// Thread safety: any thread; awaited on a loop's thread, converted on a plain thread.
  GetOp get() noexcept { return GetOp(*this); }

  /// Appends `item`, waiting for room: see PutOp. QueueClosed after `close()`.
  /// Cancellation: a put still waiting for room leaves and its item is dropped; one already
  /// admitted stands (the item is in the queue) and `Cancelled` comes at the next suspension.
  /// Thread safety: any thread; awaited on a loop's thread, discarded on a plain thread.
  PutOp put(T item) { return PutOp(*this, std::move(item)); }

  /// `get()` waiting at most `timeout`: nullopt if no item came in time. A deadline that
  /// passes after an item was handed over changes nothing: the item is returned.
  /// Cancellation: as `get`.
  /// Thread safety: any thread; awaited on a loop's thread, converted on a plain thread.
  template <class Rep, class Period>
  GetForOp get_for(std::chrono::duration<Rep, Period> timeout) noexcept {
    return GetForOp(*this, detail::clamp_to_nanoseconds(timeout));
  }

  /// `put(item)` waiting at most `timeout` for room: false if there was none in time (the item
  /// is dropped, as by a cancelled put). Cancellation: as `put`.
  /// Thread safety: any thread; awaited on a loop's thread, converted on a plain thread.
  template <class Rep, class Period>
  PutForOp put_for(T item, std::chrono::duration<Rep, Period> timeout) {
    return PutForOp(*this, std::move(item), detail::clamp_to_nanoseconds(timeout));
  }

  /// Takes the oldest item if there is one, never waits; QueueClosed once closed and drained.
  std::optional<T> try_get() {
    std::lock_guard lock(mutex_);
    std::optional<T> item;
    bool closed = false;
    get_now_locked(item, closed);
    if (closed) throw closed_error("try_get", true);
    return item;
  }

  /// Appends `item` if there is room, never waits; false if full, and then `item` is left as
  /// it was (moved from only on success). QueueClosed after close().
  template <class U = T>
  bool try_put(U&& item) {
    std::lock_guard lock(mutex_);
    if (closed_) throw closed_error("try_put", false);
    if (!putters_.empty() || !has_room_locked()) return false;
    std::optional<T> slot(std::forward<U>(item));
    bool closed = false;
    put_now_locked(slot, closed);  // there is room: it cannot refuse now
    return true;
  }

  /// Items in the queue now. May exceed `maxsize()` by those given back by cancelled gets.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  [[nodiscard]] bool empty() const { return size() == 0; }
  /// Holds `maxsize()` items or more (never, unbounded).
  [[nodiscard]] bool full() const {
    std::lock_guard lock(mutex_);
    return !has_room_locked();
  }
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }

  /// Closes the queue: every waiting put and get (on any thread or loop) wakes with
  /// QueueClosed, later puts raise it, later gets drain the items left and then raise it.
  /// Idempotent.
  void close() noexcept {
    std::lock_guard lock(mutex_);
    closed_ = true;
    detail::signal_all(getters_, detail::CrossState::closed);
    detail::signal_all(putters_, detail::CrossState::closed);
  }

  /// Awaiter of `co_await q.get()`.
  class GetAwaiter : public detail::CrossAwaiter {
   public:
    explicit GetAwaiter(ThreadQueue& queue,
                        std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept
        : CrossAwaiter(queue.mutex_, queue.getters_, &queue, &give_back, "ThreadQueue get"),
          queue_(&queue),
          timeout_(timeout) {}
    GetAwaiter(GetAwaiter&& other) noexcept
        : CrossAwaiter(std::move(other)), queue_(other.queue_), timeout_(other.timeout_) {}

    bool await_ready() {
      std::lock_guard lock(queue_->mutex_);
      return queue_->get_now_locked(item_, closed_);
    }
    template <detail::TidePromise P>
    bool await_suspend(std::coroutine_handle<P> h) {
      return suspend(h, std::make_shared<Slot>(), timeout_,
                     [&] { return queue_->get_now_locked(item_, closed_); });
    }
    T await_resume() { return std::move(*take()); }

   protected:
    // The item, or nullopt if the deadline passed first.
    std::optional<T> take() {
      const detail::CrossState state = finish();
      if (closed_ || state == detail::CrossState::closed) throw queue_->closed_error("get", true);
      if (state == detail::CrossState::left) return std::nullopt;
      if (item_) return std::move(item_);
      return std::move(static_cast<Slot*>(node())->item);
    }

   private:
    static bool give_back(void* queue, detail::CrossNode& node) noexcept {
      static_cast<ThreadQueue*>(queue)->give_back_locked(std::move(*static_cast<Slot&>(node).item));
      return true;
    }

    ThreadQueue* queue_;
    std::optional<std::chrono::nanoseconds> timeout_;
    std::optional<T> item_;  // taken without waiting
    bool closed_ = false;    // found closed and drained without waiting
  };

  /// Awaiter of `co_await q.get_for(d)`: the item, or nullopt if the time ran out first.
  class GetForAwaiter : public GetAwaiter {
   public:
    using GetAwaiter::GetAwaiter;
    std::optional<T> await_resume() { return this->take(); }
  };

  /// Awaiter of `co_await q.put(x)`.
  class PutAwaiter : public detail::CrossAwaiter {
   public:
    PutAwaiter(ThreadQueue& queue, T&& item,
               std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : CrossAwaiter(queue.mutex_, queue.putters_, &queue, nullptr, "ThreadQueue put"),
          queue_(&queue),
          timeout_(timeout),
          item_(std::move(item)) {}
    PutAwaiter(PutAwaiter&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
        : CrossAwaiter(std::move(other)),
          queue_(other.queue_),
          timeout_(other.timeout_),
          item_(std::move(other.item_)) {}

    bool await_ready() {
      std::lock_guard lock(queue_->mutex_);
      return queue_->put_now_locked(item_, closed_);
    }
    template <detail::TidePromise P>
    bool await_suspend(std::coroutine_handle<P> h) {
      auto slot = std::make_shared<Slot>();
      return suspend(h, slot, timeout_, [&] {
        if (queue_->put_now_locked(item_, closed_)) return true;
        slot->item = std::move(item_);  // the getter that makes room moves it in
        return false;
      });
    }
    void await_resume() { settle(); }

   protected:
    // True if the item went in, false if the deadline passed first.
    bool settle() {
      const detail::CrossState state = finish();
      if (closed_ || state == detail::CrossState::closed) throw queue_->closed_error("put", false);
      return state != detail::CrossState::left;
    }

   private:
    ThreadQueue* queue_;
    std::optional<std::chrono::nanoseconds> timeout_;
    std::optional<T> item_;  // until it is put, or moved into the queued node
    bool closed_ = false;    // found closed without waiting
  };

  /// Awaiter of `co_await q.put_for(x, d)`: false if the time ran out first.
  class PutForAwaiter : public PutAwaiter {
   public:
    using PutAwaiter::PutAwaiter;
    bool await_resume() { return this->settle(); }
  };

 private:
  // A waiter's node: a getter's receives the item handed to it; a putter's holds its item
  // until a get makes room.
  struct Slot : detail::CrossNode {
    std::optional<T> item;
  };

  // ---- under mutex_ ------------------------------------------------------------------------
  // Takes the oldest item into `out` (true), or sets `closed` (true) if closed and drained;
  // false if the getter must wait. Making room admits the first waiting putter.
  bool get_now_locked(std::optional<T>& out, bool& closed) {
    if (!items_.empty()) {
      out.emplace(std::move(items_.front()));
      items_.pop_front();
      if (CrossNodeT* putter = putters_.front(); putter != nullptr && has_room_locked()) {
        auto& slot = static_cast<Slot&>(*putter);
        items_.push_back(std::move(*slot.item));
        detail::signal(putters_, slot, detail::CrossState::woken);
      }
      return true;
    }
    closed = closed_;
    return closed;
  }
  // Puts `*item` (true), or sets `closed` (true); false if the putter must wait. The first
  // waiting getter receives the item directly.
  bool put_now_locked(std::optional<T>& item, bool& closed) {
    if (closed_) {
      closed = true;
      return true;
    }
    // Waiting putters go first (FIFO); they wait only while the queue is full.
    if (!putters_.empty() || !has_room_locked()) return false;
    if (CrossNodeT* getter = getters_.front()) {
      auto& slot = static_cast<Slot&>(*getter);
      slot.item = std::move(item);
      detail::signal(getters_, slot, detail::CrossState::woken);
    } else {
      items_.push_back(std::move(*item));
    }
    item.reset();
    return true;
  }
  // An item handed to a getter that left without it: to the next getter, else back to the
  // front of the queue (where it was the oldest), even if that overfills it by one: the item
  // had been admitted already, and puts wait until gets bring the size under maxsize again.
  void give_back_locked(T&& item) noexcept {
    if (CrossNodeT* getter = getters_.front()) {
      auto& slot = static_cast<Slot&>(*getter);
      slot.item.emplace(std::move(item));
      detail::signal(getters_, slot, detail::CrossState::woken);
    } else {
      items_.push_front(std::move(item));
    }
  }
  [[nodiscard]] bool has_room_locked() const noexcept {
    return maxsize_ == 0 || items_.size() < maxsize_;
  }

  // ---- plain threads -----------------------------------------------------------------------
  // The item; nullopt if `deadline` passed first.
  std::optional<T> get_blocking(std::optional<detail::Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    std::optional<T> item;
    bool closed = false;
    if (get_now_locked(item, closed)) {
      if (closed) throw closed_error("get", true);
      return item;
    }
    Slot node;
    switch (detail::block_thread(lock, getters_, node, deadline)) {
      case detail::CrossState::woken:
        return std::move(node.item);
      case detail::CrossState::closed:
        throw closed_error("get", true);
      default:
        return std::nullopt;
    }
  }
  // True once the item is in; false if `deadline` passed first.
  bool put_blocking(T&& value, std::optional<detail::Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    std::optional<T> item(std::move(value));
    bool closed = false;
    if (put_now_locked(item, closed)) {
      if (closed) throw closed_error("put", false);
      return true;
    }
    Slot node;
    node.item = std::move(item);
    switch (detail::block_thread(lock, putters_, node, deadline)) {
      case detail::CrossState::woken:
        return true;
      case detail::CrossState::closed:
        throw closed_error("put", false);
      default:
        return false;
    }
  }

  // `what`: the operation; a get fails only once the queue is drained.
  [[nodiscard]] QueueClosed closed_error(const char* what, bool get) const {
    return QueueClosed(detail::describe_object("tide::ThreadQueue", this) + ": " + what + "()" +
                       (get ? ": the queue is closed and drained" : ": the queue is closed"));
  }

  using CrossNodeT = detail::CrossNode;

  // Invariants (under mutex_): getters wait only while `items_` is empty, and putters only
  // while it holds `maxsize_` items or more; so a put never queues an item past a waiting
  // getter, and a get never leaves room while a putter waits.
  mutable std::mutex mutex_;
  std::deque<T> items_;        // guarded by mutex_: oldest first
  detail::CrossList getters_;  // guarded by mutex_: waiting gets, oldest first
  detail::CrossList putters_;  // guarded by mutex_: puts waiting for room, oldest first
  const std::size_t maxsize_;  // 0: unbounded
  bool closed_ = false;        // guarded by mutex_
};

}  // namespace tide
