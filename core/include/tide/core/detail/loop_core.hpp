#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <tide/core/detail/callback.hpp>
#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/ready_queue.hpp>
#include <tide/core/detail/ticks.hpp>
#include <tide/core/detail/timer_heap.hpp>

namespace tide {
class Loop;
class ThreadPool;
}  // namespace tide

namespace tide::detail {

class Driver;
class DumpSignal;
class StallWatchdog;
class Inbox;
class ThreadLoops;

/// The trampoline slot (see LoopCore::resume_next): set by a task handing control to another,
/// consumed by the run phase as soon as the current resumption returns. One per thread is
/// enough, since that consumption is immediate and resumptions nest strictly. It holds the
/// handle's address (null: empty), not a coroutine_handle: a member call on a thread_local
/// object makes UBSan (g++ 12) null-check its address with `add x@gottpoff(%rip)` and a
/// branch on the flags, and the linker relaxes that add to a `lea` in an executable, which
/// sets no flags: the check then fired at random ("member access within null pointer").
[[gnu::tls_model("initial-exec")]] inline thread_local constinit void* t_next = nullptr;

/// The loop inside run()/run_once() on this thread (initial-exec: a plain thread-pointer
/// offset even in position-independent code).
[[gnu::tls_model("initial-exec")]] inline thread_local constinit LoopCore* t_running = nullptr;

/// Something of a higher layer that keeps its own state per fd (io's Selector) and must hear
/// when tide closes one: `LoopCore::forget_fd` calls `forget` for every watcher of the loop,
/// after the backend has dropped the fd and before the number is closed (so before the kernel
/// can hand it out again). `forget` must not run user code or close fds.
struct FdWatcher {
  using ForgetFn = void (*)(FdWatcher&, int fd) noexcept;
  explicit FdWatcher(ForgetFn fn) noexcept : forget(fn) {}
  ListHook<FdWatcher> hook;
  ForgetFn forget;
};

/// The loop's state as the awaiters see it: what they need to park, schedule and arm things.
/// Loop-thread only. `Loop` is the public face; the phases that drive this live in loop.cpp.
class LoopCore {
 public:
  explicit LoopCore(Loop& facade);
  LoopCore(const LoopCore&) = delete;
  LoopCore& operator=(const LoopCore&) = delete;
  ~LoopCore();

  // ---- ready work ------------------------------------------------------------------------
  /// Queues `h` to resume in FIFO order, from the loop's run phase (never inside the caller),
  /// as a step of `job` (null for tide's own coroutines that belong to no job).
  void schedule(std::coroutine_handle<> h, Job* job) { ready.push(h, job); }

  /// Hands control to `h` as soon as the current coroutine has suspended: the trampoline that
  /// replaces symmetric transfer between a task and the task it awaits. Every resumption
  /// returns to the run phase, so a chain of a million awaits that finish at once never
  /// deepens the stack, in any build (g++ does not make symmetric transfer a tail call at
  /// -O0/-O1 or under ASan/TSan; see docs/design.md, "Figures").
  static void resume_next(std::coroutine_handle<> h) noexcept { t_next = h.address(); }

  /// Work a higher layer found ready without asking the backend and queued for the next
  /// iteration (io's Selector: a callback key whose fd its re-arm found still ready, to run in
  /// the next iteration's timer phase). While any is queued the loop counts as busy, as with
  /// ready coroutines: it polls I/O without blocking only once per `poll_interval` iterations
  /// (loop.cpp), so running such work round after round costs no backend wait per round, and
  /// I/O found only by the backend still waits at most that many iterations. Calls must pair;
  /// the work must be due by the next iteration (the loop does not sleep while any is queued).
  void work_soon_started() noexcept { ++work_soon; }
  void work_soon_ended() noexcept { --work_soon; }

  // ---- time and timers -------------------------------------------------------------------
  /// The loop's time for this iteration: read from the clock at its first use in the
  /// iteration (an iteration with no timers and no sleeps reads no clock at all).
  [[nodiscard]] Clock::time_point now() const noexcept {
    if (now_stale_) {
      now_ = Clock::now();
      now_stale_ = false;
    }
    return now_;
  }
  /// A new iteration: the next `now()` reads the clock.
  void advance_time() noexcept { now_stale_ = true; }
  void add_timer(TimerNode& node) {
    timers.insert(node);
    ++metrics.timers_armed;
  }
  void remove_timer(TimerNode& node) noexcept {
    if (node.armed()) timers.erase(node);
  }

  // ---- I/O (through the backend; io/ reaches it only through these) ----------------------
  /// Completes `op` without waiting if the backend can (see Driver::try_now).
  bool io_try_now(IoOp& op) noexcept;
  void io_submit(IoOp& op);
  /// Cancels a submitted op; its completion (with -ECANCELED or its real result) follows.
  void io_cancel(IoOp& op) noexcept;
  /// The op's memory is going away (its frame is destroyed): cancel it and wait until the
  /// kernel has let go, without calling `on_complete`.
  void io_abandon(IoOp& op) noexcept;
  /// Forgets every registration of `fd` (which is about to be closed): the backend's, then
  /// each FdWatcher's.
  void forget_fd(int fd) noexcept;
  /// `fd`'s number may name another file than the backend watched (closed behind tide's back
  /// and reused): the backend watches it afresh (see Driver::refresh_fd).
  void refresh_fd(int fd) noexcept;
  void add_fd_watcher(FdWatcher& watcher) noexcept { fd_watchers.push_back(watcher); }
  void remove_fd_watcher(FdWatcher& watcher) noexcept { fd_watchers.remove(watcher); }
  /// What the backend offers beyond one-shot operations.
  [[nodiscard]] IoCaps io_caps() const noexcept;
  /// Provided buffers (only when `io_caps().multishot_recv`): registers a group of up to
  /// `capacity` buffers of `size` bytes at `base`, none lent yet; `recycle_buffer` lends one
  /// (again). See Driver::add_buffer_group.
  std::uint16_t add_buffer_group(std::byte* base, unsigned capacity, std::size_t size);
  void recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept;
  void remove_buffer_group(std::uint16_t group) noexcept;

  // ---- jobs ------------------------------------------------------------------------------
  void adopt(Job& job) noexcept;    // a job starts: give it an id, link it in the live list
  void release(Job& job) noexcept;  // a job is finished or destroyed: unlink it
  /// A job finished (returned or threw; `cancelled`: by letting Cancelled or FiberExit out).
  void count_finished(const Job& job, bool cancelled) noexcept;
  /// An exception escaped detached work, or was never retrieved from its handle.
  void report_unhandled(std::exception_ptr error, const Job& job) noexcept;
  void report_unhandled(std::exception_ptr error, std::string_view what) noexcept;

  /// Work running outside the loop (a thread-pool call) that will post back: keeps `run()`
  /// from returning while it is out.
  void outside_work_started() noexcept { ++outside_work; }
  void outside_work_ended() noexcept { --outside_work; }

  /// Completions that should arrive within microseconds (a process pool's answers, from
  /// workers that spin for the next request): while any are expected, the loop polls the
  /// backend without blocking, for a bounded spin (tide/core/detail/spin.hpp), before it sleeps,
  /// since a wake-up from another core costs 25-30 us here. Calls must pair; they do not keep the
  /// loop alive (the operations that deliver those completions do).
  void expect_completions_soon() noexcept { ++completions_soon; }
  void completions_soon_ended() noexcept { --completions_soon; }

  /// Debug builds of tide: throws UsageError naming `what` when called from another thread
  /// than the one running the loop (a loop is bound to a thread when it first runs).
  void check_thread(const char* what) const;

  /// Posts from any thread; throws LoopClosed once the loop is gone.
  void post(Callback fn);

  ThreadPool& thread_pool();

  /// State a higher layer keeps once per loop (io's shared buffer pool), found by `key` (the
  /// address of something of that layer's own). It is destroyed with the loop, after every
  /// task and fibre and before the backend. Null until `set_extension`.
  [[nodiscard]] void* extension(const void* key) const noexcept {
    for (const auto& [k, value] : extensions)
      if (k == key) return value.get();
    return nullptr;
  }
  void set_extension(const void* key, std::shared_ptr<void> value) {
    extensions.emplace_back(key, std::move(value));
  }

  Loop& owner;
  ReadyQueue ready;
  Job* current = nullptr;  // the job whose step the run phase is in (null: none, or tide's own)
  TimerHeap timers;
  mutable Clock::time_point now_ = Clock::now();
  mutable bool now_stale_ = false;

  std::unique_ptr<Driver> driver;
  std::shared_ptr<Inbox> inbox;
  std::unique_ptr<DumpSignal> dump_signal;  // Options::dump_on_signal (null: off)

  // ---- what the stall detector's watchdog thread sees (Options::stall_threshold) ----------
  enum Phase : std::uint8_t { outside, in_wait, in_steps };
  /// A step (a task's or fibre's run, a timer or posted callback) begins: one plain store.
  void step_started() noexcept {
    progress.store(progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> progress{0};    // steps begun so far
  std::atomic<std::uint8_t> phase{outside};  // running steps, waiting for I/O, or not in run
  const char* step_kind = nullptr;           // what runs when no job does ("a timer callback")
  std::unique_ptr<StallWatchdog> watchdog;   // null: the detector is off

  // ---- metrics (Loop::stats): counters always; times only with Options::metrics ---------
  struct Metrics {
    std::uint64_t tasks_spawned = 0, tasks_finished = 0, tasks_cancelled = 0;
    std::uint64_t fibres_spawned = 0, fibres_finished = 0, fibres_cancelled = 0;
    std::uint64_t timers_armed = 0;
    std::uint64_t posts = 0;
    std::array<std::uint64_t, IoOp::kind_count> io_submitted{};
    std::array<std::uint64_t, IoOp::kind_count> io_at_once{};
    std::uint64_t idle_ticks = 0;  // blocked in the backend (waits that could sleep), in ticks
    TickClock tick_clock;          // turns ticks into time
    Clock::duration running{};  // inside run(), run_once(), run_until_complete() (finished calls)
    Clock::time_point run_started{};               // the call running now began (epoch: none runs)
    std::array<std::uint64_t, 48> step_log2_ns{};  // timed steps by log2 of their nanoseconds
    std::uint64_t steps_timed = 0;
  } metrics;
  bool timing = true;  // Options::metrics
  /// One step in this many is timed for the histogram (a clock read costs half a small step).
  static constexpr unsigned step_sample_interval = 128;
  unsigned steps_to_sample = step_sample_interval;
  /// Records a timed step's duration (the sampled ones; see step_sample_interval).
  void record_step(Clock::duration d) noexcept {
    const auto ns = static_cast<std::uint64_t>(std::max<Clock::rep>(d.count(), 1));
    const auto bucket = static_cast<std::size_t>(63 - __builtin_clzll(ns));
    ++metrics.step_log2_ns[std::min<std::size_t>(bucket, metrics.step_log2_ns.size() - 1)];
    ++metrics.steps_timed;
  }
  std::unique_ptr<ThreadPool> pool;
  std::size_t pool_size = 0;
  std::function<void(std::exception_ptr, std::string_view)> on_unhandled;

  IntrusiveList<Job, &Job::live_hook> live;                // live jobs, newest first
  IntrusiveList<FdWatcher, &FdWatcher::hook> fd_watchers;  // see FdWatcher
  std::size_t live_jobs = 0;
  std::uint64_t next_job_id = 1;
  bool host_sleeps = false;          // next_timeout() told an embedding host it may sleep
  std::size_t outside_work = 0;      // calls running outside the loop (see outside_work_started)
  std::size_t completions_soon = 0;  // see expect_completions_soon; > 0: spin before sleeping
  bool running = false;              // inside run()/run_once(): re-entry is an error
  bool stopping = false;             // stop() was called; run() returns after this iteration
  bool closing = false;              // the destructor is tearing the loop down
  unsigned born = 0;                 // the process's fork generation when made (see fork_guard)
  std::uint64_t iterations = 0;
  std::uint64_t io_waits = 0;  // calls of driver->wait (Loop::Stats::io_waits)
  std::size_t work_soon = 0;   // see work_soon_started
  std::thread::id runner;      // the thread that ran the loop first (default: not yet run)
  std::shared_ptr<ThreadLoops> thread_loops;  // the runner's list of loops (see close_fd)
  unsigned polls_skipped = 0;    // iterations since I/O was last polled (see Loop::iterate)
  std::vector<Callback> posted;  // the batch of posted callbacks being run (kept for capacity)
  std::vector<std::pair<const void*, std::shared_ptr<void>>> extensions;  // see extension()
};

/// Closes `fd` after every loop running on this thread has forgotten it (so a backend never
/// keeps a registration for a number the kernel will hand out again, and a pending operation
/// on it fails with EBADF).
void close_fd(int fd) noexcept;

inline void Waiter::wake() noexcept {
  job->unpark(*this);
  job->loop->schedule(handle, job);
}
inline void Waiter::resume_cancelled() noexcept {
  job->loop->schedule(handle, job);
}
inline Clock::time_point loop_time(const LoopCore& loop) noexcept {
  return loop.now();
}

/// The task or fibre running on this thread's loop right now, or null (outside the loop, or
/// in a timer or posted callback).
inline Job* current_job() noexcept {
  LoopCore* loop = t_running;
  return loop != nullptr ? loop->current : nullptr;
}

}  // namespace tide::detail
