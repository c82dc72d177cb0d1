#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>

#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/ring.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/io/buffer_pool.hpp>

namespace tide::io::detail {

using tide::detail::IoOp;
struct PoolState;

/// What Acceptor and Receiver share: an operation that yields a stream of results (accepted
/// fds, received buffers), queued until tasks claim them, one result per request, in order.
/// Requests that find nothing queued wait in a WaitQueue and are served FIFO.
///
/// Where the backend has multishot operations (io_uring), one submission yields result after
/// result; when the kernel ends it (IORING_CQE_F_MORE cleared: an error, the end of the
/// stream, provided buffers ran out) it is re-armed once, when a task next asks and nothing
/// is queued. `max_queued` results unclaimed stop it (cancelled, re-armed when the queue
/// drains), so a peer that sends faster than its task reads cannot take every buffer. Where
/// the backend has no multishot operations, each request that finds the queue empty starts
/// one ordinary operation: the same results, in the same order. A one-shot recv tries recv(2)
/// at once and otherwise waits for the fd to be readable (a poll op) holding no pool memory;
/// only then does it take room in a slab.
class ResultStream {
 public:
  enum class Source : std::uint8_t { accept, recv };
  struct Item {
    long result = 0;             // fd, byte count, or -errno
    std::int32_t buffer = -1;    // recv: the pool slab holding the bytes
    bool owns_resource = false;  // an accepted fd or a pool slab's chunk: given back if unclaimed
    std::uint32_t offset = 0;    // recv: where in the slab the bytes start
  };
  class Awaiter;

  /// `pool` (recv only) is referenced for the stream's lifetime.
  ResultStream(tide::detail::LoopCore& loop, int fd, Source source, PoolState* pool,
               std::size_t max_queued);
  ResultStream(const ResultStream&) = delete;
  ResultStream& operator=(const ResultStream&) = delete;
  /// Stops the operation (waiting until the kernel lets go of it), closes accepted fds and
  /// returns buffers nobody claimed; tasks still waiting get EBADF.
  ~ResultStream();

  [[nodiscard]] Awaiter next() noexcept;

  [[nodiscard]] int fd() const noexcept { return op_.fd; }
  [[nodiscard]] bool multishot() const noexcept { return multishot_; }
  /// How often the operation was started: with multishot once, plus once per time the kernel
  /// ended it. For tests and diagnostics.
  [[nodiscard]] std::uint64_t arms() const noexcept { return arms_; }
  [[nodiscard]] std::size_t queued() const noexcept { return items_.size(); }
  /// Takes the oldest queued result without waiting or starting anything: false if none.
  [[nodiscard]] bool take_queued(Item& item) noexcept {
    if (items_.empty()) return false;
    item = items_.pop_front();
    return true;
  }
  /// The chunk a recv result describes (empty at the end of the stream); owns its buffer.
  [[nodiscard]] Chunk chunk(const Item& item) const noexcept;

 private:
  friend class Awaiter;

  bool take_now(Item& item) noexcept;
  void deliver(const Item& item) noexcept;
  static void give_back_unclaimed(void* self) noexcept;
  void pump();
  void pump_noexcept() noexcept;
  bool arm();
  bool receive_now();
  void starve() noexcept;
  void on_result(const IoOp& op) noexcept;
  void release(const Item& item) noexcept;
  static void completed(IoOp& op) noexcept;
  static void discarded(IoOp& op) noexcept;
  static void buffer_available(tide::detail::WaitNode& node) noexcept;

  struct Op : IoOp {
    ResultStream* owner;
  };
  struct BufferWait : tide::detail::WaitNode {
    using WaitNode::WaitNode;
    ResultStream* owner = nullptr;
  };

  static void describe_wait(const void* self, tide::detail::WaitInfo& info);

  Op op_;
  tide::detail::LoopCore* loop_;
  PoolState* pool_;
  tide::detail::Ring<Item, 2> items_;  // small: most connections hold one item at a time
  tide::detail::WaitQueue requests_;   // tasks and fibres waiting for a result
  BufferWait buffer_wait_;             // queued in the pool while starved
  std::size_t max_queued_;
  std::uint64_t arms_ = 0;
  Source source_;
  bool multishot_;
  bool starved_ = false;        // waiting for a pool buffer before it can arm
  bool readable_ = false;       // one-shot recv: its poll op reported the fd readable
  bool cap_cancelled_ = false;  // a full queue cancelled the multishot op
};

/// One request for the stream's next result. Cancellation: a request waiting in the queue is
/// simply withdrawn (the operation goes on, and what it yields waits for the next request, so
/// nothing is lost).
class ResultStream::Awaiter : public tide::detail::WaitQueue::Awaiter {
 public:
  explicit Awaiter(ResultStream& stream) noexcept
      : tide::detail::WaitQueue::Awaiter(stream.requests_, nullptr, nullptr), stream_(&stream) {}
  Awaiter(Awaiter&& other) noexcept : Awaiter(*other.stream_) {}
  ~Awaiter() {
    // Handed a result, and destroyed before it could take it: the next request gets it.
    if (has_item_ && stream_ && item_.owns_resource) stream_->items_.push_front(item_);
  }

  bool await_ready() noexcept { return has_item_ = stream_->take_now(item_); }

  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, [this] { stream_->pump(); });
  }

  /// The result; throws Cancelled if the request was cancelled before one came.
  Item await_resume() {
    tide::detail::WaitQueue::Awaiter::await_resume();  // raises Cancelled
    has_item_ = false;
    return item_;
  }

 protected:
  [[nodiscard]] ResultStream& stream() const noexcept { return *stream_; }
  /// Null once the stream was destroyed under the request (which then got EBADF).
  [[nodiscard]] ResultStream* stream_if_alive() const noexcept { return stream_; }
  /// "fd 7", or that the stream is gone, for error messages.
  [[nodiscard]] std::string where() const {
    return stream_ ? "fd " + std::to_string(stream_->fd()) : "a destroyed stream";
  }

 private:
  friend class ResultStream;

  ResultStream* stream_;
  Item item_;
  bool has_item_ = false;
};

inline ResultStream::Awaiter ResultStream::next() noexcept {
  return Awaiter(*this);
}

}  // namespace tide::io::detail
