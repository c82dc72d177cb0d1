#pragma once

#include <any>
#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/thread_bound.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/loop.hpp>

namespace tide::io {

/// What a Selector key waits for, and what select() reports: Python's `EVENT_READ` and
/// `EVENT_WRITE`, combined with `|`, tested with `has` (`has(ready, Events::read)`) or `&`.
enum class Events : unsigned { read = 1, write = 2 };

[[nodiscard]] constexpr Events operator|(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
[[nodiscard]] constexpr Events operator&(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr Events& operator|=(Events& a, Events b) noexcept {
  return a = a | b;
}
/// True if `set` holds any of `bits`.
[[nodiscard]] constexpr bool has(Events set, Events bits) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(bits)) != 0;
}
/// "read", "write", "read|write"; unknown bits as a number ("read|0x8").
[[nodiscard]] std::string to_string(Events events);
std::ostream& operator<<(std::ostream& out, Events events);

/// One registration, as Python's `SelectorKey` (without `fileobj`: tide keys are fds).
/// `data` is whatever the caller attached; get it back with `std::any_cast<T>(key.data)`
/// (or `std::any_cast<T>(&key.data)`, null on a type mismatch), the way Python code reads
/// `key.data`. A key handed out by select() is a copy: it stays valid after `unregister`.
struct SelectorKey {
  int fd = -1;
  Events events{};
  std::any data;
};

/// A key problem: registering an fd that is registered already (or whose number still carries
/// the registration of a file closed behind tide's back), or modifying, unregistering or
/// looking up an fd that is not registered. Python raises `KeyError` for these; this is its
/// C++ kin, an `std::out_of_range` like `std::map::at`'s. The message names the fd.
/// (Bad arguments, Python's `ValueError` — a negative or closed fd, a file that cannot be
/// waited for, empty or unknown event bits — are `std::invalid_argument`; using a closed
/// selector or one from another loop is `tide::UsageError`.)
class KeyError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

class Selector;
struct SelectorRegistry;

namespace detail {

/// One registered fd: its key and the poll operation the selector keeps armed on it. The
/// operation is the loop's ordinary `poll` IoOp (a poll-add SQE on io_uring, a readiness wait
/// on epoll and poll), so a selector adds no mechanism of its own.
struct SelectorEntry : tide::detail::IoOp {
  /// Where the entry is in its cycle. Invariant: `armed` <=> the op is in flight; `pending`
  /// and `delivered` <=> linked in one of the selector's lists (`list`).
  enum class State : std::uint8_t {
    idle,       // neither armed nor queued (being set up, or modified)
    armed,      // the op waits in the backend
    pending,    // the op reported `revents`; queued for a select() caller or for its callback
    delivered,  // reported by select(); re-armed when the next select() starts
    running,    // its callback runs now (it is re-armed after, unless the callback changed it)
    stale,      // its fd was closed behind tide's back: never armed again; unregister it
  };
  tide::detail::ListHook<SelectorEntry> queue_hook;  // in `*list`
  using List = tide::detail::IntrusiveList<SelectorEntry, &SelectorEntry::queue_hook>;

  SelectorKey key;
  std::shared_ptr<std::function<void(Events)>> callback;  // null: a select() key
  Selector* owner = nullptr;
  List* list = nullptr;      // the selector list the entry is queued in, or null
  std::uint64_t device = 0;  // the open file's identity when registered (st_dev, st_ino)
  std::uint64_t inode = 0;
  std::uint64_t serial = 0;   // tells this registration from a later one of the same fd
  std::uint32_t revents = 0;  // pending: the POLL* bits the op reported
  State state = State::idle;
};

}  // namespace detail

/// Python's `selectors.DefaultSelector` for tide: register fds with the events to wait for and
/// data of your own, then `select()` (awaited from a task with `co_await`, or from a fibre with
/// `tide::await`) for the keys that are ready. Event-driven code written against
/// select/poll/epoll keeps its shape:
///
///     tide::Selector sel;
///     sel.register_fd(listener, tide::Events::read, std::any(&on_accept));
///     for (;;)
///       for (auto& [key, events] : co_await sel.select())
///         (*std::any_cast<Handler*>(key.data))(key.fd, events);
///
/// Or asyncio's `add_reader`/`add_writer`: `register_fd(fd, events, callback)` runs
/// `callback(ready_events)` on the loop each time the fd is ready; such keys are never
/// returned by select(), which need not be called for them.
///
/// Readiness is level-triggered, as with select(2) and poll(2): an fd whose data the program
/// leaves unread is reported again by the next select() (a callback runs again in the next
/// loop iteration). Each registered fd holds one poll operation in the loop's backend, re-armed
/// only after its readiness was reported, so a select() costs O(ready fds), not O(registered)
/// (except on the poll backend, whose poll(2) call walks every waiting fd). On epoll and poll
/// the re-arm first checks the one fd: a select() key found ready is reported without a
/// backend wait, and a callback key found ready runs in the next iteration with the loop
/// counted busy (it polls the backend once every few iterations, as while tasks are ready),
/// so a callback that takes one item per call (an accept) costs no wait over every fd per item.
///
/// Events are reported as Python's selectors do: an error or hang-up on the fd makes it
/// ready for whatever its key waits for (the program's next read or write sees why).
///
/// Closing a registered fd through tide (`tide::io::Fd`, a tide socket's close, `close_fd`)
/// removes its key at once: it is never reported again, and the number can be registered
/// anew. An fd closed behind tide's back (`::close`) is noticed the next time the selector
/// looks at it (an event for it, `register_fd`, `modify`, `get_key`, `unregister`), by the
/// open file's identity (st_dev, st_ino) kept from registration: its events are dropped and
/// `register_fd`/`modify`/`get_key` of that number raise a KeyError naming the fd and saying
/// it was closed while registered until it is unregistered. So a reused number never inherits
/// the old registration and never reports its events.
///
/// Several tasks or fibres may wait in select() on one selector: each round of readiness goes
/// to the longest waiting one (FIFO), the others wait on for the next. A woken waiter takes
/// what is ready when it resumes.
///
/// Thread safety: belongs to the loop that first uses it (UsageError elsewhere); loop-local,
/// like every tide object. Not movable: the backend holds pointers into it.
/// Destroying it withdraws every operation it armed; tasks waiting in select() then resume
/// with an empty list (as after `close()`).
class Selector : private tide::detail::TimerNode, private tide::detail::FdWatcher {
 public:
  /// The callback of a callback key: called with the events that are ready.
  using Callback = std::function<void(Events)>;
  /// What select() returns: each ready key (a copy) with the events it is ready for (a
  /// subset of `key.events`), in the order the fds became ready.
  using Ready = std::vector<std::pair<SelectorKey, Events>>;
  struct Options {
    /// Before reporting an event, check (one fstat, ~0.5 us here) that the fd still names the
    /// file that was registered. Switch it off only if nothing closes registered fds behind
    /// tide's back: a stale event on a reused number then goes unnoticed until the next
    /// register_fd/modify/get_key/unregister of it.
    bool verify_files = true;
  };
  class SelectAwaiter;
  class KeyMap;

  Selector() noexcept : Selector(Options{}) {}
  explicit Selector(Options options) noexcept;
  Selector(const Selector&) = delete;
  Selector& operator=(const Selector&) = delete;
  ~Selector();

  /// Registers `fd` for `events`, with `data` to find in its key (Python's `register`, a
  /// reserved word in C++), and starts watching it. Returns the new key.
  /// Throws KeyError if `fd` is registered already (or was closed behind tide's back while
  /// registered), std::invalid_argument for a negative or closed fd, a regular file or
  /// directory (always "ready"; epoll refuses them, so no backend takes them), or events that
  /// are empty or unknown; std::system_error if the backend refuses the fd; UsageError
  /// outside a running loop, on another loop than the selector's, or after close().
  const SelectorKey& register_fd(int fd, Events events, std::any data = {});
  /// The callback form (asyncio's add_reader/add_writer): `callback(ready_events)` runs on the
  /// loop (from its timer phase) each time `fd` is ready, until it is unregistered or
  /// modified. It may register, modify and unregister any fd, itself included; a key it
  /// unregisters or modifies that was ready in the same round does not run (or runs with
  /// the events its new key still waits for). An exception it throws goes to the loop's
  /// unhandled-exception handler, and the fd stays registered.
  template <class F>
  requires std::invocable<F&, Events>
  const SelectorKey& register_fd(int fd, Events events, F&& callback) {
    return register_callback(fd, events, std::make_shared<Callback>(std::forward<F>(callback)));
  }

  /// Changes what `fd` waits for and replaces its data (Python's `modify`); a callback key
  /// becomes a select() key. Returns the new key. Readiness already reported for the old
  /// events and not yet taken by a select() is dropped; a select() waiting now sees the new
  /// events. Throws as register_fd, with KeyError if `fd` is not registered.
  const SelectorKey& modify(int fd, Events events, std::any data);
  /// The same, keeping the key's data or callback (unlike Python, where `data` defaults to
  /// None).
  const SelectorKey& modify(int fd, Events events);
  /// The same, with a new callback (the key becomes, or stays, a callback key).
  template <class F>
  requires std::invocable<F&, Events>
  const SelectorKey& modify(int fd, Events events, F&& callback) {
    return modify_callback(fd, events, std::make_shared<Callback>(std::forward<F>(callback)));
  }

  /// Stops watching `fd` and returns its key; a readiness reported and not yet taken is
  /// dropped. The fd is not closed. Throws KeyError if it is not registered.
  SelectorKey unregister(int fd);

  /// The key of `fd`. Throws KeyError if it is not registered, or if it was closed behind
  /// tide's back while registered.
  [[nodiscard]] const SelectorKey& get_key(int fd) const;
  /// The number of registered fds.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// A read-only view of the keys by fd (Python's `get_map()`): size, contains, at, and
  /// iteration in fd order. It reflects later changes; a key reference stays valid until its
  /// fd is modified or unregistered.
  [[nodiscard]] KeyMap get_map() const noexcept;

  /// Waits until at least one select() key is ready, or `timeout` has passed, and returns the
  /// ready keys with their events (Python's `select`). `std::nullopt`: no limit; zero or less:
  /// do not wait, but let the loop look at I/O once first (on io_uring the re-armed polls
  /// need a trip to the kernel), so an fd that is ready now is reported. An empty list means
  /// the time ran out (or the selector was closed meanwhile). On an empty selector it waits
  /// for `timeout`, or until another task registers an fd that becomes ready.
  /// Cancellation: the wait ends (no key is consumed) and `Cancelled` is raised; `tide::timeout`
  /// works the same way. A round handed to this waiter before the cancel is still returned
  /// (the cancel then comes at the next suspension point).
  /// Thread safety: the selector's loop only. Throws UsageError after close().
  [[nodiscard]] SelectAwaiter select(
      std::optional<std::chrono::nanoseconds> timeout = std::nullopt);

  /// Unregisters every fd (withdrawing its operation) and wakes the select() waiters with an
  /// empty list. Later calls other than size/get_map/close throw UsageError. Idempotent.
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return closed_; }

 private:
  using Entry = detail::SelectorEntry;
  using EntryList = Entry::List;
  friend class SelectAwaiter;
  friend struct SelectorRegistry;

  const SelectorKey& register_callback(int fd, Events events, std::shared_ptr<Callback> cb);
  const SelectorKey& modify_callback(int fd, Events events, std::shared_ptr<Callback> cb);
  const SelectorKey& add(int fd, Events events, std::any data, std::shared_ptr<Callback> cb);
  const SelectorKey& change(int fd, Events events, std::optional<std::any> data,
                            std::optional<std::shared_ptr<Callback>> cb);
  Entry& find(int fd, const char* what) const;  // KeyError unless registered and not stale
  [[nodiscard]] Entry* entry_of(int fd) const noexcept;
  void bind(const char* what);  // checks the thread, loop and state; binds the loop at first use
  void arm(Entry& e);           // `e` stays (stale if its fd turned out closed)
  void withdraw(Entry& e) noexcept;
  void queue(Entry& e, EntryList& list) noexcept;
  void unqueue(Entry& e) noexcept;
  void erase(Entry& e) noexcept;
  void mark_stale(Entry& e) noexcept;
  [[nodiscard]] bool same_file(const Entry& e) const noexcept;
  void on_result(Entry& e) noexcept;
  void hand_over() noexcept;
  void schedule_round(bool next_iteration) noexcept;
  void round_unscheduled() noexcept;
  void detach_from_loop() noexcept;
  // select()'s two halves (see SelectAwaiter).
  bool begin_select();
  Ready end_select(tide::detail::WaitResult how);
  static void completed(tide::detail::IoOp& op) noexcept;
  static void run_callbacks(tide::detail::TimerNode& timer);
  static void fd_forgotten(tide::detail::FdWatcher& watcher, int fd) noexcept;
  static void waiter_unclaimed(void* self) noexcept;

  Options options_;
  tide::detail::ThreadBound thread_;
  tide::detail::LoopCore* loop_ = nullptr;       // bound at the first register_fd; null again if
                                                 // the loop goes first (see SelectorRegistry)
  std::vector<std::unique_ptr<Entry>> entries_;  // indexed by fd; null: not registered
  std::size_t count_ = 0;                        // non-null entries
  EntryList ready_;            // select() keys with readiness not yet taken (pending)
  EntryList delivered_;        // select() keys reported by the last select(): re-arm next time
  EntryList callbacks_next_;   // callback keys whose readiness waits for the next round
  EntryList callbacks_round_;  // callback keys of the round being run
  tide::detail::WaitQueue waiters_;
  bool reserved_ = false;  // a woken waiter has not resumed yet: the ready keys are its
  bool running_round_ = false;
  bool round_soon_ = false;  // the round's timer is armed and counted as LoopCore::work_soon
  bool closed_ = false;
  std::uint64_t next_serial_ = 1;
  tide::detail::ListHook<Selector> loop_hook_;  // in its loop's SelectorRegistry
  SelectorRegistry* registry_ = nullptr;        // that registry, while bound to a loop
};

/// What `co_await sel.select(timeout)` (or `tide::await(sel.select(timeout))`) waits with.
/// Built on the loop's WaitQueue, so cancellation and deadlines behave as every tide wait.
class Selector::SelectAwaiter : private tide::detail::WaitQueue::Awaiter {
 public:
  SelectAwaiter(Selector& selector, std::optional<std::chrono::nanoseconds> timeout) noexcept;
  SelectAwaiter(SelectAwaiter&& other) noexcept
      : Awaiter(std::move(other)), selector_(other.selector_) {}

  /// Re-arms the keys the last select() reported, then: true if keys are ready already.
  bool await_ready() { return selector_->begin_select(); }
  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, [] {});
  }
  Ready await_resume() {
    const tide::detail::WaitResult how = Awaiter::await_resume();
    return selector_ ? selector_->end_select(how) : Ready{};
  }

 private:
  friend class Selector;
  void detach() noexcept {  // the selector closes: resume with nothing, touch it no more
    selector_ = nullptr;
    leave_queue();
  }

  Selector* selector_;
};

/// Python's `get_map()`: the registered keys by fd, read-only, live.
class Selector::KeyMap {
 public:
  class iterator {
   public:
    using value_type = SelectorKey;
    using reference = const SelectorKey&;
    using pointer = const SelectorKey*;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    reference operator*() const noexcept { return (*entries_)[i_]->key; }
    pointer operator->() const noexcept { return &**this; }
    iterator& operator++() noexcept {
      ++i_;
      skip();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& other) const noexcept { return i_ == other.i_; }

   private:
    friend class KeyMap;
    iterator(const std::vector<std::unique_ptr<Entry>>* entries, std::size_t i) noexcept
        : entries_(entries), i_(i) {
      skip();
    }
    void skip() noexcept {
      while (i_ < entries_->size() && !(*entries_)[i_])
        ++i_;
    }
    const std::vector<std::unique_ptr<Entry>>* entries_ = nullptr;
    std::size_t i_ = 0;
  };

  [[nodiscard]] std::size_t size() const noexcept { return selector_->count_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] bool contains(int fd) const noexcept { return selector_->entry_of(fd) != nullptr; }
  /// The key of `fd`; KeyError if it is not registered.
  [[nodiscard]] const SelectorKey& at(int fd) const;
  [[nodiscard]] iterator begin() const noexcept { return {&selector_->entries_, 0}; }
  [[nodiscard]] iterator end() const noexcept {
    return {&selector_->entries_, selector_->entries_.size()};
  }

 private:
  friend class Selector;
  explicit KeyMap(const Selector& selector) noexcept : selector_(&selector) {}
  const Selector* selector_;
};

}  // namespace tide::io

namespace tide {
using io::Events;
using io::KeyError;
using io::Selector;
using io::SelectorKey;
}  // namespace tide
