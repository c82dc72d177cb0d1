#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/detail/shared_mapping.hpp>
#include <tide/io/fd.hpp>

namespace tide::io {

/// Raised by a put whose item, once encoded, is larger than one record of the queue can be
/// (`ProcessQueue::max_item_size()`). Nothing was queued.
class MessageTooLong : public std::length_error {
 public:
  using std::length_error::length_error;
};

namespace detail {

/// What every ProcessQueue<T> shares, on encoded items: the record socket, the free-slot
/// eventfd, the control block in shared memory.
class ProcessQueueCore {
 public:
  /// The first byte of every record (see process_queue.cpp).
  static constexpr char record_tag = 'q';

  ProcessQueueCore(std::size_t maxsize, const char* name);
  ProcessQueueCore(ProcessQueueCore&&) noexcept = default;
  ProcessQueueCore& operator=(ProcessQueueCore&&) noexcept = default;
  ~ProcessQueueCore();

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }
  [[nodiscard]] std::size_t max_item_size() const noexcept { return max_item_; }
  [[nodiscard]] std::size_t unfinished() const noexcept;

  /// Sends one encoded item (waiting for a free slot, then for room in the socket).
  [[nodiscard]] Task<void> put(std::string item);
  /// As put, never waiting: false when there is no free slot or no room.
  [[nodiscard]] bool try_put(std::string_view item);
  /// Receives one encoded item into `buffer` (max_item_size() bytes); returns its length.
  [[nodiscard]] Task<std::size_t> get(std::byte* buffer);
  /// As get, never waiting: nullopt when nothing is queued.
  [[nodiscard]] std::optional<std::size_t> try_get(std::byte* buffer);
  void task_done();
  [[nodiscard]] Task<void> join();
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return !control_.valid(); }

  /// A receive buffer of max_item_size() bytes (reused: getters of one process lend them).
  [[nodiscard]] std::unique_ptr<std::byte[]> borrow_buffer();
  void return_buffer(std::unique_ptr<std::byte[]> buffer) noexcept;

 private:
  struct Control;
  Control& control() const noexcept { return *static_cast<Control*>(control_.data()); }
  void check_open(const char* operation) const;
  void check_size(std::size_t record_bytes, const char* operation) const;
  [[noreturn]] void throw_too_long(std::size_t item_bytes, const char* operation,
                                   const char* who) const;
  void begin_item();          // an item is about to be sent: count it as queued and unfinished
  void undo_item() noexcept;  // ... it was not sent after all
  void end_item(const char* operation);  // one unfinished item is done
  void after_get(std::size_t n, bool truncated);

  const char* name_;
  std::size_t maxsize_ = 0;
  std::size_t max_item_ = 0;
  SharedMapping control_;
  Fd receiver_;  // SOCK_SEQPACKET end every getter receives on (each record to one getter)
  Fd sender_;    // its peer, every putter sends on
  Fd slots_;     // eventfd (semaphore): free slots, for a bounded queue; else -1
  Fd idle_;      // eventfd: 1 exactly while nothing is unfinished, else 0 (see Control)
  std::vector<std::unique_ptr<std::byte[]>> spare_buffers_;
};

}  // namespace detail

/// A first-in first-out queue between processes, like Python's `multiprocessing.Queue` and
/// `JoinableQueue`, awaited from tasks and fibres without blocking the loop:
///
///     tide::ProcessQueue<std::string> jobs(100);      // before fork; 0: no bound of our own
///     // a producer: co_await jobs.put("bread 1");     (a fibre: tide::await(jobs.put(...)))
///     // a consumer: auto job = co_await jobs.get(); ...; jobs.task_done();
///     // the boss:   co_await jobs.join();             (every item put has been done)
///
/// Made before fork; every process forked after it (and every task of each) may put and get:
/// many producers, many consumers. Each item is one record of a Unix SOCK_SEQPACKET
/// socketpair, encoded with tide's codec (io/codec.hpp), so an item goes to exactly one
/// getter with no lock, and arrives whole. Items are delivered in the order the kernel took
/// them (FIFO across the whole queue; with several producers, their puts interleave).
///
/// `maxsize` bounds the items in the queue (an eventfd holds the free slots). With maxsize 0
/// the queue has no bound of its own, but the kernel's socket buffer still is one: a put
/// waits (never blocks the loop) while it is full, as a pipe write would. An item larger than
/// `max_item_size()` (the socket's send buffer, raised as far as the system allows when the
/// queue is made: net.core.wmem_max) is refused with MessageTooLong.
/// `size()`, `empty()`, `full()` are snapshots that other processes change at any moment
/// (Python's qsize); `task_done()`/`join()` count in shared memory under a process-shared
/// robust mutex held only for a counter update and an eventfd write.
///
/// Process death: an item taken by a process that dies before `task_done` stays unfinished,
/// so `join()` then waits forever (as in Python); a producer that dies between taking a slot
/// and sending loses that slot (a bounded queue then holds one item fewer). A process that
/// dies inside the mutex's few instructions leaves it to the next user, which repairs the
/// join state (robust mutex).
/// Cancellation: a cancelled put queues nothing and gives its slot back; a cancelled get
/// takes nothing (the item goes to another getter). Under `tide::timeout` or `get_for` /
/// `put_for` the same holds.
/// Thread safety: one loop per process uses a ProcessQueue object; other threads of the
/// process need their own access to the object (it has no thread-local state, but its spare
/// buffers are not locked).
template <class T>
class ProcessQueue {
 public:
  /// `maxsize` bounds the items queued; 0 (the default) means no bound of its own.
  /// Throws std::system_error (EMFILE, ENOMEM, ...).
  explicit ProcessQueue(std::size_t maxsize = 0) : core_(maxsize, "tide::ProcessQueue") {}
  ProcessQueue(ProcessQueue&&) noexcept = default;
  ProcessQueue& operator=(ProcessQueue&&) noexcept = default;

  /// Items queued now, across all processes (approximate while puts and gets are under way).
  [[nodiscard]] std::size_t size() const noexcept { return core_.size(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// True when a put would wait for a free slot (never for maxsize 0).
  [[nodiscard]] bool full() const noexcept { return maxsize() != 0 && size() >= maxsize(); }
  [[nodiscard]] std::size_t maxsize() const noexcept { return core_.maxsize(); }
  /// The largest encoded item a put accepts.
  [[nodiscard]] std::size_t max_item_size() const noexcept { return core_.max_item_size(); }
  /// Items put and not yet marked with `task_done` (a snapshot).
  [[nodiscard]] std::size_t unfinished() const noexcept { return core_.unfinished(); }

  /// Awaitable: queues `item`, waiting while the queue is full. Throws MessageTooLong (at
  /// once, before waiting) for an item larger than max_item_size().
  /// Cancellation: nothing is queued, the slot is given back.
  /// Thread safety: see the class comment.
  [[nodiscard]] Task<void> put(const T& item) { return core_.put(encode(item)); }
  /// Awaitable: as `put`, waiting at most `timeout`; true once queued, false if the time ran
  /// out first (then nothing was queued; Python's queue.Full).
  template <class Rep, class Period>
  [[nodiscard]] Task<bool> put_for(const T& item, std::chrono::duration<Rep, Period> timeout) {
    return put_for_ns(encode(item), std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }
  /// Queues `item` if there is room now (put_nowait); false when full. MessageTooLong as put.
  [[nodiscard]] bool try_put(const T& item) { return core_.try_put(encode(item)); }

  /// Awaitable yielding the next item, waiting while the queue is empty. Throws CodecError
  /// if the item does not decode as a T (the item is consumed), QueueClosed once every
  /// process has closed the queue's sending side (only after close() everywhere).
  /// Cancellation: nothing is taken.
  /// Thread safety: see the class comment.
  [[nodiscard]] Task<T> get() {
    auto buffer = core_.borrow_buffer();
    std::size_t n = 0;
    try {
      n = co_await core_.get(buffer.get());
    } catch (...) {
      core_.return_buffer(std::move(buffer));
      throw;
    }
    T value{};
    try {
      decode_into_exactly(buffer.get(), n, value);
    } catch (...) {
      core_.return_buffer(std::move(buffer));
      throw;
    }
    core_.return_buffer(std::move(buffer));
    co_return value;
  }
  /// Awaitable: as `get`, waiting at most `timeout`; nullopt if the time ran out first
  /// (having taken nothing; Python's queue.Empty).
  template <class Rep, class Period>
  [[nodiscard]] Task<std::optional<T>> get_for(std::chrono::duration<Rep, Period> timeout) {
    return get_for_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }
  /// The next item if one is queued now (get_nowait), else nullopt.
  [[nodiscard]] std::optional<T> try_get() {
    auto buffer = core_.borrow_buffer();
    std::optional<T> value;
    try {
      if (auto n = core_.try_get(buffer.get())) {
        value.emplace();
        decode_into_exactly(buffer.get(), *n, *value);
      }
    } catch (...) {
      core_.return_buffer(std::move(buffer));
      throw;
    }
    core_.return_buffer(std::move(buffer));
    return value;
  }

  /// Marks one item taken from the queue as processed (Python's `task_done`), in any
  /// process. Throws UsageError when called more often than items were put.
  void task_done() { core_.task_done(); }
  /// Awaitable: waits until every item put so far (by any process) has been marked with
  /// `task_done`; returns at once if none is outstanding. It returns once it sees the count
  /// at zero: a zero that lasts only an instant (a put right after the last task_done) may
  /// be missed, and the join then waits for the next one.
  /// Cancellation: the joiner leaves; nothing changes.
  [[nodiscard]] Task<void> join() { return core_.join(); }

  /// Releases this process's handles (fds and mapping); the queue lives on in the other
  /// processes. Waiting operations of this process must be over first. Later calls here
  /// throw UsageError.
  void close() noexcept { core_.close(); }
  [[nodiscard]] bool closed() const noexcept { return core_.closed(); }

 private:
  static std::string encode(const T& item) {
    std::string record(1, detail::ProcessQueueCore::record_tag);
    encode_append(record, item);
    return record;
  }
  static void decode_into_exactly(const std::byte* data, std::size_t n, T& value) {
    const std::string_view record(reinterpret_cast<const char*>(data), n);
    if (record.front() != detail::ProcessQueueCore::record_tag)
      throw CodecError("tide::ProcessQueue::get: a record not written by a ProcessQueue");
    if (decode_into(record.substr(1), value) != n - 1)
      throw CodecError("tide::ProcessQueue::get: bytes left over after decoding an item");
  }
  Task<bool> put_for_ns(std::string item, std::chrono::nanoseconds timeout);
  Task<std::optional<T>> get_for_ns(std::chrono::nanoseconds timeout);

  detail::ProcessQueueCore core_;
};

template <class T>
Task<bool> ProcessQueue<T>::put_for_ns(std::string item, std::chrono::nanoseconds limit) {
  try {
    co_await tide::timeout(limit, core_.put(std::move(item)));
  } catch (const TimeoutError&) {
    co_return false;
  }
  co_return true;
}

template <class T>
Task<std::optional<T>> ProcessQueue<T>::get_for_ns(std::chrono::nanoseconds limit) {
  try {
    co_return co_await tide::timeout(limit, get());
  } catch (const TimeoutError&) {
    co_return std::nullopt;
  }
}

}  // namespace tide::io

namespace tide {
using io::MessageTooLong;
using io::ProcessQueue;
}  // namespace tide
