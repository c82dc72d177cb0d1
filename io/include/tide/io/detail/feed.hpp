#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>

#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/io/buffer_pool.hpp>

namespace tide::io::detail {

using tide::detail::IoOp;
struct PoolState;

/// What Acceptor and Receiver share: an operation that yields a stream of results (accepted
/// fds, received buffers), queued until tasks ask for them, one result per request, FIFO.
///
/// Where the backend has multishot operations (io_uring), one submission yields result after
/// result; when the kernel ends it (IORING_CQE_F_MORE cleared: an error, the end of the
/// stream, provided buffers ran out) it is re-armed once, when a task next asks and nothing
/// is queued. `max_queued` results unclaimed stop it (cancelled, re-armed when the queue
/// drains), so a peer that sends faster than its task reads cannot take every buffer. Where
/// the backend has no multishot operations, each request that finds the queue empty starts
/// one ordinary operation: the same results, in the same order.
class Feed {
 public:
  enum class Source : std::uint8_t { accept, recv };
  struct Item {
    long result = 0;           // fd, byte count, or -errno
    std::int32_t buffer = -1;  // recv: the pool buffer holding the bytes
    bool holds = false;        // owns an accepted fd or a pool buffer
  };
  class Awaiter;

  /// `pool` (recv only) is referenced for the feed's lifetime.
  Feed(tide::detail::LoopCore& loop, int fd, Source source, PoolState* pool,
       std::size_t max_queued);
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;
  /// Stops the operation (waiting until the kernel lets go of it), closes accepted fds and
  /// returns buffers nobody claimed; tasks still waiting get EBADF.
  ~Feed();

  [[nodiscard]] Awaiter next() noexcept;

  [[nodiscard]] int fd() const noexcept { return op_.fd; }
  [[nodiscard]] bool multishot() const noexcept { return multishot_; }
  /// How often the operation was started: with multishot once, plus once per time the kernel
  /// ended it. For tests and diagnostics.
  [[nodiscard]] std::uint64_t arms() const noexcept { return arms_; }
  [[nodiscard]] std::size_t queued() const noexcept { return items_.size(); }
  /// The chunk a recv result describes (empty at the end of the stream); owns its buffer.
  [[nodiscard]] Chunk chunk(const Item& item) const noexcept;

  /// The pool has a buffer again (called by PoolState for a starved feed).
  void buffer_available() noexcept;

 private:
  friend class Awaiter;

  bool take_now(Item& item) noexcept;
  void enqueue(Awaiter& w);
  void remove(Awaiter& w) noexcept;
  void pump();
  void pump_noexcept() noexcept;
  bool arm();
  void starve() noexcept;
  void on_result(long result, std::int32_t buffer, bool more) noexcept;
  void release(const Item& item) noexcept;
  static void completed(IoOp& op) noexcept;

  struct Op : IoOp {
    Feed* owner;
  };

  Op op_;
  tide::detail::LoopCore* loop_;
  PoolState* pool_;
  std::deque<Item> items_;
  Awaiter* waiters_head_ = nullptr;
  Awaiter* waiters_tail_ = nullptr;
  std::size_t max_queued_;
  std::uint64_t arms_ = 0;
  std::int32_t oneshot_buffer_ = -1;  // one-shot recv: the pool buffer it reads into
  Source source_;
  bool multishot_;
  bool starved_ = false;        // waiting for a pool buffer before it can arm
  bool cap_cancelled_ = false;  // a full queue cancelled the multishot op
};

/// One request for the feed's next result. Cancellation: a request waiting in the queue is
/// simply withdrawn (the feed's operation goes on, and what it yields waits for the next
/// request, so nothing is lost).
class Feed::Awaiter : private tide::detail::Waiter {
 public:
  explicit Awaiter(Feed& feed) noexcept : Waiter(&cancelled), feed_(&feed) {}
  Awaiter(Awaiter&& other) noexcept : Waiter(&cancelled), feed_(other.feed_) {}
  ~Awaiter() {
    if (linked_) feed_->remove(*this);
    if (has_item_ && item_.holds) feed_->release(item_);  // its task was destroyed unresumed
  }

  bool await_ready() noexcept { return has_item_ = feed_->take_now(item_); }

  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    tide::detail::Job& j = *h.promise().job;
    if (!j.park(*this, h)) return false;  // await_resume throws Cancelled
    try {
      feed_->enqueue(*this);
    } catch (...) {
      j.unpark(*this);
      throw;
    }
    return true;
  }

  /// The result; throws Cancelled if the request was cancelled before one came.
  Item await_resume() {
    if (!has_item_) job->throw_cancelled();
    has_item_ = false;
    return item_;
  }

 protected:
  [[nodiscard]] Feed& feed() const noexcept { return *feed_; }

 private:
  friend class Feed;
  void deliver(const Item& item) noexcept;
  static void cancelled(tide::detail::Waiter& w) noexcept;

  Feed* feed_;
  Awaiter* next_ = nullptr;
  Awaiter* prev_ = nullptr;
  Item item_;
  bool has_item_ = false;
  bool linked_ = false;
};

inline Feed::Awaiter Feed::next() noexcept {
  return Awaiter(*this);
}

}  // namespace tide::io::detail
