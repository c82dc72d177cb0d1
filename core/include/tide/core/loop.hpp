#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/backend.hpp>
#include <tide/core/detail/callback.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/source_site.hpp>
#include <tide/core/stall.hpp>

namespace tide {

template <class T>
class Task;
template <class T>
class JoinHandle;
class ThreadPool;
struct FiberOptions;
namespace detail {
class OwnedJob;
class TaskJob;
}  // namespace detail

/// The event loop: one per thread, it runs tasks, timers, posted callbacks and I/O completions.
///
/// Each iteration (`run_once`) waits for I/O no longer than the nearest timer allows (not at
/// all when work is ready), then fires due timers, runs callbacks posted from other threads,
/// and resumes ready tasks in FIFO order.
///
/// Thread safety: a loop belongs to the thread that runs it. Only `post` (and everything on
/// `Loop::Remote`) may be called from other threads.
class Loop {
 public:
  using Clock = std::chrono::steady_clock;
  using Backend = tide::Backend;
  /// Receives exceptions that escaped detached tasks or were never retrieved from a handle;
  /// `what` names the task ("task #7 'fetch'").
  using UnhandledExceptionHandler =
      std::function<void(std::exception_ptr error, std::string_view what)>;

  struct Options {
    Backend backend = Backend::Auto;
    /// Threads of the loop's own `ThreadPool` (used by `to_thread`); 0 = min(32, cores + 4).
    std::size_t thread_pool_size = 0;
    /// Default: one line on stderr, and the loop goes on.
    UnhandledExceptionHandler
        on_unhandled_exception{};  // {}: designated initialisers of the rest stay warning-free
    /// io_uring: submission ring entries (rounded up to a power of two by the kernel). A full
    /// ring is flushed and reused, so this bounds a batch, not the operations in flight.
    unsigned io_uring_sq_entries = 256;
    /// io_uring: completion ring entries; 0 for twice the submission ring. Completions beyond
    /// it wait in the kernel (IORING_FEAT_NODROP) and are reaped, never lost.
    unsigned io_uring_cq_entries = 0;
    /// io_uring: use multishot accept and multishot recv into provided buffers where the
    /// kernel has them (io::Acceptor, io::Receiver). Off: one operation per item, as on epoll.
    bool io_uring_multishot = true;
    /// io_uring: let the kernel fill provided buffers incrementally where it can (Linux 6.12),
    /// so that many small messages pack into one io::BufferPool buffer and a large one
    /// arrives whole. Off: one buffer per received chunk (for comparison and tests).
    bool io_uring_incremental_buffers = true;
    /// A signal (SIGUSR1, say) that makes the loop write `dump()` to stderr at its next turn;
    /// 0 (the default): none. Safe: the handler only counts the signal and wakes the loop
    /// (both async-signal-safe); the dump is made on the loop's thread. The loop takes the
    /// signal over while it lives (several loops may share one; the previous action comes
    /// back when the last of them goes). std::invalid_argument for a signal that cannot be
    /// used (SIGKILL, SIGSTOP, SIGPIPE, SIGURG, not a signal).
    int dump_on_signal = 0;
    /// Stats' times (busy, idle, the step histogram): a few clock reads per blocking wait and
    /// per 128 steps. Off: those stay zero; the counts are kept either way.
    bool metrics = true;
    /// The stall detector: when one step (a task's or fibre's run between two waits, or one
    /// callback) holds the loop longer than this, a watchdog thread reports it while it is
    /// still stuck (what runs, where it was spawned, the loop thread's stack) and once more
    /// when it ends. Zero (the default): off, and free. It looks four times per threshold.
    /// The stack is taken by a SIGURG sent to the loop thread (tide's handler passes other
    /// SIGURGs on to the action that was there before); a blocking call the step is in may
    /// return early with EINTR where the kernel does not restart it (nanosleep, poll).
    std::chrono::nanoseconds stall_threshold{0};
    /// Receives the reports, on the watchdog thread (it must not touch the loop). Default:
    /// `report.text()` on stderr.
    std::function<void(const StallReport&)> on_stall{};
  };

  /// A copyable, thread-safe handle for posting to a loop from other threads. It may outlive
  /// the loop: `post` then throws `LoopClosed`. While any Remote exists, `run()` keeps waiting
  /// for posts instead of returning when idle (like an active `uv_async_t`).
  class Remote {
   public:
    Remote(const Remote& other) noexcept;
    Remote(Remote&& other) noexcept;
    Remote& operator=(Remote other) noexcept;
    ~Remote();
    /// Queues `fn` to run on the loop thread. Throws LoopClosed if the loop is gone.
    template <class F>
    void post(F&& fn) {
      post_callback(detail::Callback(std::forward<F>(fn)));
    }
    /// Thread-safe `Loop::stop`. Throws LoopClosed if the loop is gone.
    void stop();

   private:
    friend class Loop;
    explicit Remote(std::shared_ptr<detail::Inbox> inbox) noexcept;
    void post_callback(detail::Callback fn);
    std::shared_ptr<detail::Inbox> inbox_;
  };

  /// One kind of I/O operation in `Stats::io`.
  struct IoKindStats {
    std::string_view kind;                // "recv", "accept_multishot", ...
    std::uint64_t submitted = 0;          // handed to the backend to wait for
    std::uint64_t completed_at_once = 0;  // done without waiting (readiness backends try first)
    std::uint64_t completed = 0;          // completions the backend delivered (each multishot one)
  };

  /// What the loop holds now, and what it has done since it was made: for tests, and for
  /// operators to chart. Counts are kept always; times only with `Options::metrics` (on by
  /// default; see docs/performance.md for what each costs).
  struct Stats {
    std::size_t tasks = 0;       // live spawned tasks and fibres (running or suspended)
    std::size_t timers = 0;      // armed timers
    std::size_t pending_io = 0;  // I/O operations submitted to the backend
    std::size_t ready = 0;       // coroutines queued to resume
    std::uint64_t iterations = 0;
    std::uint64_t io_waits = 0;  // times the loop asked the backend for I/O (blocking or not)
    std::uint64_t steps = 0;     // task and fibre runs, timer and posted callbacks
    std::uint64_t tasks_spawned = 0, tasks_finished = 0, tasks_cancelled = 0;
    std::uint64_t fibres_spawned = 0, fibres_finished = 0, fibres_cancelled = 0;
    std::uint64_t timers_armed = 0;
    std::uint64_t posts_received = 0;  // callbacks posted from other threads (and Loop::post)
    /// Time inside run(), run_once(), run_until_complete() not spent blocked for I/O or
    /// timers, and time spent blocked (libuv's idle time). busy / (busy + idle) is the load.
    std::chrono::nanoseconds busy{};
    std::chrono::nanoseconds idle{};
    std::array<IoKindStats, 13> io{};
    /// Step durations, one step in 128 timed: `step_log2_ns[b]` counts timed steps of
    /// [2^b, 2^(b+1)) nanoseconds (the last bucket: that long or longer).
    std::array<std::uint64_t, 48> step_log2_ns{};
    std::uint64_t steps_timed = 0;
  };

  Loop();
  explicit Loop(Options options);
  /// Destroys every task still suspended on the loop (their frames, without resuming them),
  /// after cancelling their I/O and waiting for their thread-pool calls; callbacks still
  /// queued are dropped and later posts through a Remote throw LoopClosed.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The loop running on this thread. Throws UsageError when none is.
  [[nodiscard]] static Loop& current();
  /// The loop running on this thread, or null.
  [[nodiscard]] static Loop* try_current() noexcept;

  /// Runs until `stop()` is called or nothing is left that could wake the loop: no ready task,
  /// timer, I/O, thread-pool call, queued post or live Remote. Rethrows the first exception
  /// thrown by a posted callback (after running the rest of that batch).
  /// Throws UsageError if called from inside this loop.
  void run();

  /// One iteration; blocks for at most `max_wait` (0: never blocks) when no work is ready.
  /// Returns whether work remains (as `run()` would continue).
  bool run_once(std::chrono::nanoseconds max_wait = std::chrono::nanoseconds::max());
  template <class Rep, class Period>
  bool run_once(std::chrono::duration<Rep, Period> max_wait) {
    using std::chrono::nanoseconds;
    using Wide = std::chrono::duration<long double, std::nano>;
    if (Wide(max_wait) >= Wide(nanoseconds::max())) return run_once(nanoseconds::max());
    return run_once(std::chrono::ceil<nanoseconds>(max_wait));
  }

  /// Makes `run()` return after the current iteration. Loop thread only (use Remote::stop or
  /// `post([&] { loop.stop(); })` from elsewhere).
  void stop() noexcept;

  /// Queues `fn` to run on the loop thread during its next iteration, in FIFO order, and wakes
  /// the loop if it sleeps. Thread-safe. An exception thrown by `fn` surfaces from `run()` or
  /// `run_once()`.
  template <class F>
  void post(F&& fn) {
    core_->post(detail::Callback(std::forward<F>(fn)));
  }

  /// A handle for posting from other threads that is safe to use after the loop is gone.
  [[nodiscard]] Remote remote() const;

  /// The loop's clock, read once per iteration.
  [[nodiscard]] Clock::time_point now() const noexcept { return core_->now(); }

  /// "io_uring", "epoll" or "poll".
  [[nodiscard]] std::string_view backend_name() const noexcept;

  /// An fd a host loop watches on the loop's behalf (see `backend_fds()`).
  struct WatchedFd {
    int fd = -1;
    /// poll(2) event bits, Linux's values: POLLIN, POLLPRI, POLLOUT and POLLRDHUP. GLib's
    /// G_IO_IN, G_IO_PRI and G_IO_OUT have the same values, and GLib hands a GPollFD's events
    /// to poll(2) unchanged, so they can be passed to `g_source_add_unix_fd` as they are.
    unsigned events = 0;
    friend bool operator==(const WatchedFd&, const WatchedFd&) = default;
  };

  /// For embedding in a host loop, on every backend: the fds (and their events) the host must
  /// watch so that it wakes whenever `run_once(0)` has work. The host loop:
  ///
  ///     for (;;) {
  ///       auto timeout = loop.next_timeout();  // first: it arms the wake-up for posts
  ///       auto fds = loop.backend_fds();
  ///       sleep until one of `fds` is ready or `timeout` has passed (nullopt: no limit);
  ///       loop.run_once(0);
  ///     }
  ///
  /// epoll and io_uring: one fd (what `backend_fd()` returns) for POLLIN. poll: the wake-up
  /// eventfd for POLLIN, then each fd that operations wait on, for exactly the events the loop
  /// itself would poll; watch them level-triggered (as poll(2) and GLib do).
  /// When the set changes: only when operations start or end, that is while tide runs
  /// (`run_once`), or when code outside it closes a tide object or cancels tide work. So ask
  /// again right before every sleep and sync the host's registrations with the answer: an fd
  /// that left the set may be closed, or its number reused, by then.
  /// Ask before the loop first runs, for the reason `backend_fd()` gives.
  /// Throws std::system_error if the io_uring ring cannot be rebuilt (the loop is unchanged).
  [[nodiscard]] std::vector<WatchedFd> backend_fds();

  /// For embedding: one fd that becomes readable when `run_once(0)` has work, on epoll (the
  /// epoll fd) and io_uring (the ring's fd). With the poll backend it reports only posts from
  /// other threads (poll(2) has no fd standing for a set of fds): use `backend_fds()`, which
  /// gives a host what it needs on every backend. The host loop is the same as there, with
  /// this one fd watched for reading.
  /// Ask for it before the loop first runs: on io_uring that first request rebuilds the ring
  /// without DEFER_TASKRUN, under which a thread sleeping in poll(2) on the ring is not woken
  /// (asked later, the fd is still returned but wake-ups may come late).
  /// Throws std::system_error if the io_uring ring cannot be rebuilt (the loop is unchanged).
  [[nodiscard]] int backend_fd();
  /// For embedding: how long the host may sleep before calling `run_once(0)`: zero when work
  /// is ready, the time to the next timer, or nullopt when only I/O or a post can wake it.
  /// Call it right before the host sleeps: from then on a post from another thread makes
  /// `backend_fd()` readable (and the first fd of `backend_fds()`).
  [[nodiscard]] std::optional<std::chrono::nanoseconds> next_timeout() const noexcept;

  /// Starts `task` on this loop (it runs from the next iteration). Destroying the returned
  /// handle cancels the task unless `detach()` was called. `where` (the caller's line) is
  /// what `dump()` says it was spawned at.
  template <class T>
  [[nodiscard]] JoinHandle<T> spawn(Task<T> task, std::string name = {},
                                    SourceSite where = SourceSite::here());

  /// Starts `fn(args...)` as a fibre on this loop: see `tide::spawn_fiber` (defined in
  /// <tide/core/fiber.hpp>, which a caller includes: tasks alone do not pull in fibres).
  template <class Fn, class... Args>
  requires(!std::is_same_v<std::remove_cvref_t<Fn>, FiberOptions>)
      [[nodiscard]] auto spawn_fiber(Fn&& fn, Args&&... args);
  template <class Fn, class... Args>
  [[nodiscard]] auto spawn_fiber(FiberOptions options, Fn&& fn, Args&&... args);

  /// Runs the loop until `task` has finished; returns its value or rethrows its exception.
  /// Throws UsageError if the task can never finish (nothing is left that could wake it) or
  /// if called from inside this loop.
  template <class T>
  T run_until_complete(Task<T> task, SourceSite where = SourceSite::here());

  /// Cancels every task and fibre still alive and runs the loop until each has unwound: it
  /// sees `Cancelled` (`FiberExit` in a fibre) at its suspension point, and its destructors
  /// and catch blocks run. What `tide::run` does after its task returns, as `asyncio.run`
  /// does. Work that keeps running after its cancellation (it caught and ignored it) is waited
  /// for; work that can never finish any more is left to the destructor. An exception a
  /// posted callback throws meanwhile goes to `on_unhandled_exception`.
  /// Throws UsageError if called from inside this loop.
  void cancel_remaining();

  /// The loop's own pool for `to_thread`, created on first use.
  [[nodiscard]] ThreadPool& thread_pool();

  [[nodiscard]] Stats stats() const noexcept;

  /// Every live task and fibre, one entry each, for a person reading it: its name and number,
  /// where it was spawned, whether it runs, is ready or waits (for how long, and on what:
  /// "sleep until +1.20s", "recv from fd 7 (...) (io_uring)", "Mutex 0x... held by task #4
  /// 'writer'", "Queue 0x... get (0 items)", "join of fibre #9", "to_thread call running for
  /// 2.00s", "child process 1234 (pidfd 9)"), a task's await chain (the coroutines awaiting
  /// each other, root first) and a suspended fibre's stack, named from the binary's symbols
  /// (function, file and line with debug information; see docs/guide/07-seeing-inside.md).
  /// Then one line per wait-for cycle: "deadlock: task #4 'writer' -> Mutex 0x... held by
  /// task #7 'reader' -> Mutex 0x... held by task #4 'writer'".
  /// Loop thread only (from a task, a fibre, a callback, or between runs).
  void dump(std::ostream& out) const;
  [[nodiscard]] std::string dump() const;

  /// Internal state for tide's awaiters.
  [[nodiscard]] detail::LoopCore& core() noexcept { return *core_; }

 private:
  bool iterate(std::chrono::nanoseconds max_wait);
  void bind_to_this_thread();
  void run_until_finished(const detail::OwnedJob& job);
  [[nodiscard]] bool alive() const noexcept;
  void teardown() noexcept;

  std::unique_ptr<detail::LoopCore> core_;
};

namespace detail {
/// The core of the loop running on this thread; throws UsageError naming `what` when none is.
LoopCore& current_core(const char* what);
}  // namespace detail

}  // namespace tide

#include <tide/core/spawn.hpp>  // Loop::spawn's definition (needs Task and JoinHandle)
