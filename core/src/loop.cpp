#include <tide/core/loop.hpp>

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/core/detail/wait_graph.hpp>
#include <tide/core/thread_pool.hpp>

#include "core/src/backend/driver.hpp"
#include "core/src/dump_signal.hpp"
#include "core/src/fork_guard.hpp"
#include "core/src/inbox.hpp"
#include "core/src/sigpipe.hpp"
#include "core/src/stall_watchdog.hpp"
#include "core/src/symbolize.hpp"
#include "core/src/thread_loops.hpp"

namespace tide {

namespace {

using detail::t_running;

// While work stays ready, I/O is polled (without blocking) once per this many iterations.
constexpr unsigned poll_interval = 32;

Backend backend_from_environment(Backend requested) {
  if (requested != Backend::Auto) return requested;
  const char* env = std::getenv("TIDE_BACKEND");
  if (env == nullptr || *env == '\0') return Backend::Auto;
  try {
    return parse_backend(env);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("TIDE_BACKEND: ") + e.what());
  }
}

// Times a call that runs the loop (run, run_once, run_until_complete, cancel_remaining), for
// Stats::busy: two clock reads per call, none per iteration.
class RunClock {
 public:
  explicit RunClock(detail::LoopCore& c) noexcept : c_(c.timing ? &c : nullptr) {
    if (c_ != nullptr) c_->metrics.run_started = detail::Clock::now();
  }
  RunClock(const RunClock&) = delete;
  RunClock& operator=(const RunClock&) = delete;
  ~RunClock() {
    if (c_ == nullptr) return;
    c_->metrics.running += detail::Clock::now() - c_->metrics.run_started;
    c_->metrics.run_started = {};
  }

 private:
  detail::LoopCore* c_;
};

// Resumes one ready coroutine, and whatever it hands control to (the trampoline slot).
inline void run_step(std::coroutine_handle<> handle) {
  handle.resume();
  while (void* next = std::exchange(detail::t_next, nullptr))
    std::coroutine_handle<>::from_address(next).resume();
}

}  // namespace

namespace detail {
void forget_running_loop_after_fork() noexcept {
  t_running = nullptr;
  t_next = nullptr;
}
}  // namespace detail

// ---- Loop --------------------------------------------------------------------------------

Loop::Loop() : Loop(Options{}) {}

Loop::Loop(Options options) : core_(std::make_unique<detail::LoopCore>(*this)) {
  detail::ignore_sigpipe();
  detail::watch_forks();
  auto& c = *core_;
  c.inbox = std::make_shared<detail::Inbox>();
  c.driver = detail::make_driver(backend_from_environment(options.backend),
                                 {options.io_uring_sq_entries, options.io_uring_cq_entries,
                                  options.io_uring_multishot, options.io_uring_incremental_buffers},
                                 c.inbox->wake_fd());
  c.pool_size = options.thread_pool_size;
  c.timing = options.metrics;
  c.on_unhandled = std::move(options.on_unhandled_exception);
  if (options.dump_on_signal != 0)
    c.dump_signal =
        std::make_unique<detail::DumpSignal>(options.dump_on_signal, c.inbox->wake_fd());
  if (options.stall_threshold < std::chrono::nanoseconds::zero())
    throw std::invalid_argument(
        "tide::Loop::Options::stall_threshold: negative (zero turns it off)");
  if (options.stall_threshold > std::chrono::nanoseconds::zero()) {
    detail::prepare_stack_capture();  // the unwinder's first use, outside a signal handler
    c.watchdog = std::make_unique<detail::StallWatchdog>(c, options.stall_threshold,
                                                         std::move(options.on_stall));
  }
  c.now_ = Clock::now();
}

Loop::~Loop() {
  // In a forked child the loop is the parent's: tearing it down would cancel the parent's
  // operations through the shared ring. Its memory is left to the child's exit.
  if (detail::inherited_through_fork(core_->born)) {
    (void)core_.release();
    return;
  }
  teardown();
}

void Loop::teardown() noexcept {
  auto& c = *core_;
  c.closing = true;
  c.watchdog.reset();     // joins the watchdog thread: nothing looks at the loop any more
  c.dump_signal.reset();  // no handler writes the wake-up fd from here on
  if (c.thread_loops) c.thread_loops->remove(c);
  // Thread-pool calls first: queued ones are dropped, running ones are waited for, so no
  // worker still uses a frame when the frames go.
  if (c.pool) c.pool->shutdown({.cancel_queued = true});
  // Destroy every live job's frames, without resuming them. Their awaiters' destructors
  // unlink timers and withdraw I/O (waiting for the kernel where it holds buffers). A loop
  // destroyed on another thread than the one that ran it may find its io_uring ring closed to
  // this thread: the kernel could then still write into the frames of operations in flight,
  // so those frames are kept (leaked), never freed under the kernel's hands.
  if (c.driver->pending() > 0 && !c.driver->can_reap_here()) {
    std::fprintf(stderr,
                 "tide: a loop with %zu I/O operations in flight is destroyed on a thread that "
                 "did not run it; the frames of its %zu tasks and fibres are kept, not freed, "
                 "since the kernel may still write into them\n",
                 c.driver->pending(), c.live_jobs);
    while (detail::Job* job = c.live.front())
      c.release(*job);
  }
  while (detail::Job* job = c.live.front()) {
    c.release(*job);
    job->destroy_frames();
  }
  c.ready.clear();
  detail::t_next = nullptr;
  c.extensions.clear();  // after the frames that used them, before the backend they use
  c.inbox->close();
  c.pool.reset();
  c.driver.reset();
}

Loop& Loop::current() {
  if (t_running == nullptr)
    throw UsageError(
        "tide::Loop::current(): no loop is running on this thread "
        "(await tide operations from a task run by tide::run or a Loop)");
  return t_running->owner;
}

Loop* Loop::try_current() noexcept {
  return t_running ? &t_running->owner : nullptr;
}

namespace detail {
LoopCore& current_core(const char* what) {
  if (t_running == nullptr)
    throw UsageError(std::string(what) + ": no tide loop is running on this thread");
  return *t_running;
}
}  // namespace detail

Loop::Remote Loop::remote() const {
  return Remote(core_->inbox);
}

std::string_view Loop::backend_name() const noexcept {
  return core_->driver->name();
}

int Loop::backend_fd() {
  return core_->driver->pollable_fd();
}

static_assert(POLLIN == 0x1 && POLLPRI == 0x2 && POLLOUT == 0x4 && POLLRDHUP == 0x2000,
              "Loop::WatchedFd::events documents Linux's poll(2) values");

std::vector<Loop::WatchedFd> Loop::backend_fds() {
  std::vector<pollfd> set;
  core_->driver->pollable_fds(set);
  std::vector<WatchedFd> fds;
  fds.reserve(set.size());
  for (const pollfd& p : set)
    fds.push_back(WatchedFd{p.fd, static_cast<unsigned short>(p.events)});
  return fds;
}

std::optional<std::chrono::nanoseconds> Loop::next_timeout() const noexcept {
  auto& c = *core_;
  if (!c.ready.empty() || c.driver->has_unsubmitted()) return std::chrono::nanoseconds::zero();
  // The host is about to sleep on backend_fd(): from now on a post must write the wake-up fd.
  try {
    if (!c.host_sleeps && !c.inbox->prepare_to_sleep()) return std::chrono::nanoseconds::zero();
  } catch (...) {
    return std::chrono::nanoseconds::zero();  // the lock failed: let the host call run_once
  }
  c.host_sleeps = true;
  if (const auto* top = c.timers.top()) {
    auto now = Clock::now();
    if (top->deadline <= now) return std::chrono::nanoseconds::zero();
    return std::chrono::ceil<std::chrono::nanoseconds>(top->deadline - now);
  }
  return std::nullopt;
}

ThreadPool& Loop::thread_pool() {
  return core_->thread_pool();
}

static_assert(std::tuple_size_v<decltype(Loop::Stats::io)> == detail::IoOp::kind_count,
              "Loop::Stats::io has one entry per IoOp::Kind");

Loop::Stats Loop::stats() const noexcept {
  auto& c = *core_;
  const auto& m = c.metrics;
  Stats s;
  s.tasks = c.live_jobs;
  s.timers = c.timers.size();
  s.pending_io = c.driver->pending();
  s.ready = c.ready.size();
  s.iterations = c.iterations;
  s.io_waits = c.io_waits;
  s.steps = c.progress.load(std::memory_order_relaxed);
  s.tasks_spawned = m.tasks_spawned;
  s.tasks_finished = m.tasks_finished;
  s.tasks_cancelled = m.tasks_cancelled;
  s.fibres_spawned = m.fibres_spawned;
  s.fibres_finished = m.fibres_finished;
  s.fibres_cancelled = m.fibres_cancelled;
  s.timers_armed = m.timers_armed;
  s.posts_received = m.posts;
  auto running = m.running;
  if (m.run_started != Clock::time_point{}) running += Clock::now() - m.run_started;
  s.idle = m.tick_clock.to_time(m.idle_ticks);
  s.busy = std::max<std::chrono::nanoseconds>(running - s.idle, std::chrono::nanoseconds::zero());
  for (std::size_t k = 0; k < s.io.size(); ++k) {
    s.io[k].kind = detail::io_kind_name(static_cast<detail::IoOp::Kind>(k));
    s.io[k].submitted = m.io_submitted[k];
    s.io[k].completed_at_once = m.io_at_once[k];
    s.io[k].completed = c.driver->completed[k];
  }
  s.step_log2_ns = m.step_log2_ns;
  s.steps_timed = m.steps_timed;
  return s;
}

void Loop::stop() noexcept {
  core_->stopping = true;
}

void Loop::run() {
  auto& c = *core_;
  if (detail::inherited_through_fork(c.born)) detail::throw_inherited("tide::Loop::run");
  if (c.running) throw UsageError("tide::Loop::run(): called from inside the same loop");
  const RunClock clock(c);
  while (!c.stopping && alive())
    iterate(std::chrono::nanoseconds::max());
  c.stopping = false;
}

bool Loop::run_once(std::chrono::nanoseconds max_wait) {
  if (detail::inherited_through_fork(core_->born)) detail::throw_inherited("tide::Loop::run_once");
  if (core_->running) throw UsageError("tide::Loop::run_once(): called from inside the same loop");
  const RunClock clock(*core_);
  return iterate(max_wait);
}

bool Loop::alive() const noexcept {
  auto& c = *core_;
  return !c.ready.empty() || !c.timers.empty() || c.driver->pending() > 0 || c.outside_work > 0 ||
         c.inbox->busy();
}

bool Loop::iterate(std::chrono::nanoseconds max_wait) {
  auto& c = *core_;
  if (detail::inherited_through_fork(c.born)) [[unlikely]]
    detail::throw_inherited("tide::Loop::run");
  if (c.runner == std::thread::id{}) [[unlikely]]
    bind_to_this_thread();
  c.check_thread("run");
  detail::LoopCore* outer = t_running;
  c.running = true;
  t_running = &c;
  struct Leave {
    detail::LoopCore& c;
    detail::LoopCore* outer;
    ~Leave() {
      c.running = false;
      t_running = outer;
      c.phase.store(detail::LoopCore::outside, std::memory_order_relaxed);
    }
  } leave{c, outer};
  ++c.iterations;
  if (c.host_sleeps) {
    c.host_sleeps = false;
    c.inbox->awake();
  }

  // 1. Wait for I/O: not at all when work is ready, else until the nearest timer (rounded up,
  //    so a timer never fires early and the loop never spins on a sub-resolution remainder).
  //    While tasks keep each other busy (or work found ready without the backend is queued:
  //    LoopCore::work_soon_started), the non-blocking poll is only done every
  //    `poll_interval` iterations: handing control from task to task then costs no syscall,
  //    and I/O still waits at most that many iterations (with no I/O in flight there is
  //    nothing to poll for: posts are taken below in every iteration).
  const bool busy = !c.ready.empty() || c.stopping || c.work_soon > 0;
  bool poll = !busy;
  if (busy && ++c.polls_skipped >= poll_interval) {
    c.polls_skipped = 0;
    poll = c.driver->pending() > 0 || c.driver->has_unsubmitted();
  }
  if (poll) {
    c.polls_skipped = 0;
    std::optional<std::chrono::nanoseconds> timeout;
    if (max_wait != std::chrono::nanoseconds::max()) timeout = std::max(max_wait, {});
    if (busy) timeout = std::chrono::nanoseconds::zero();
    if (const auto* top = c.timers.top(); top && timeout != std::chrono::nanoseconds::zero()) {
      auto now = Clock::now();
      auto until = top->deadline <= now
                       ? std::chrono::nanoseconds::zero()
                       : std::chrono::ceil<std::chrono::nanoseconds>(top->deadline - now);
      if (!timeout || until < *timeout) timeout = until;
    }
    // With thread-pool calls out, their results come back as posts: spin briefly for one
    // before sleeping, since a wake-up from another core costs tens of microseconds here.
    if (timeout != std::chrono::nanoseconds::zero() && c.outside_work > 0 &&
        c.inbox->spin_for_post())
      timeout = std::chrono::nanoseconds::zero();
    // Likewise while completions are expected soon (a process pool's answers): poll the
    // backend without blocking until one is delivered, for at most the spin budget.
    if (timeout != std::chrono::nanoseconds::zero() && c.completions_soon > 0 &&
        c.driver->spin_soon.spin([&] {
          ++c.io_waits;
          c.driver->wait(std::chrono::nanoseconds::zero());
          return !c.ready.empty();
        }))
      timeout = std::chrono::nanoseconds::zero();
    const bool may_sleep = timeout != std::chrono::nanoseconds::zero();
    if (may_sleep && !c.inbox->prepare_to_sleep()) timeout = std::chrono::nanoseconds::zero();
    ++c.io_waits;
    c.phase.store(detail::LoopCore::in_wait, std::memory_order_relaxed);
    if (may_sleep && c.timing) {  // idle time (Stats::idle): only waits that may sleep
      const std::uint64_t before = detail::ticks();
      c.driver->wait(timeout);
      c.metrics.idle_ticks += detail::ticks() - before;
    } else {
      c.driver->wait(timeout);
    }
    if (may_sleep) c.inbox->awake();
  }
  c.advance_time();
  c.phase.store(detail::LoopCore::in_steps, std::memory_order_relaxed);
  if (c.dump_signal && c.dump_signal->requested()) [[unlikely]] {
    const std::string text = dump();
    std::fwrite(text.data(), 1, text.size(), stderr);
  }

  // 2. Due timers, in deadline order (FIFO among equal deadlines), then 3. callbacks posted
  //    from any thread. A callback that throws does not stop the others: the first exception
  //    is rethrown after the run phase, later ones go to the unhandled-exception handler.
  std::exception_ptr failure;
  auto note_failure = [&](const char* what) {
    if (!failure)
      failure = std::current_exception();
    else
      c.report_unhandled(std::current_exception(), what);
  };
  c.step_kind = "a timer callback";
  while (detail::TimerNode* top = c.timers.top()) {
    if (top->deadline > c.now()) break;
    c.timers.erase(*top);
    c.step_started();
    try {
      top->fire(*top);
    } catch (...) {
      note_failure("a timer callback");
    }
  }
  std::vector<detail::Callback>& batch = c.posted;
  c.inbox->take(batch);
  c.metrics.posts += batch.size();
  c.step_kind = "a posted callback";
  for (auto& fn : batch) {
    c.step_started();
    try {
      fn();
    } catch (...) {
      note_failure("a posted callback");
    }
  }
  batch.clear();

  // 4. The coroutines that were ready when this phase began, FIFO; what they make ready runs
  //    next iteration, so every task sees the same `now()` and none can starve timers or I/O.
  //    `next` is the trampoline slot: a task that hands control to the task it awaits (or back
  //    to its awaiter) leaves it there instead of resuming it nested.
  c.step_kind = "tide's own coroutine (a process pool's turn)";
  for (std::size_t n = c.ready.size(); n > 0; --n) {
    const detail::ReadyEntry entry = c.ready.pop();
    c.current = entry.job;  // a hand-off through `next` stays within the job
    c.step_started();
    if (--c.steps_to_sample != 0 || !c.timing) [[likely]] {
      run_step(entry.handle);
    } else {  // one step in step_sample_interval is timed (Stats::step_log2_ns)
      c.steps_to_sample = detail::LoopCore::step_sample_interval;
      const auto start = Clock::now();
      run_step(entry.handle);
      c.record_step(Clock::now() - start);
    }
  }
  c.current = nullptr;
  c.step_kind = nullptr;

  if (failure) std::rethrow_exception(failure);
  return !c.ready.empty() || alive();  // the common case without a call
}

void Loop::cancel_remaining() {
  auto& c = *core_;
  if (detail::inherited_through_fork(c.born))
    detail::throw_inherited("tide::Loop::cancel_remaining");
  if (c.running) throw UsageError("tide::Loop::cancel_remaining(): called from inside the loop");
  const RunClock clock(c);
  using Live = decltype(c.live);
  for (detail::Job* job = c.live.front(); job != nullptr; job = Live::next(*job))
    job->request_cancel();  // only schedules: the list does not change here
  // Only while something can still wake them: work waiting for what never comes stays.
  while (c.live_jobs > 0 && alive()) {
    try {
      iterate(std::chrono::nanoseconds::max());
    } catch (...) {
      c.report_unhandled(std::current_exception(), "a callback run while cancelling");
    }
  }
}

// The loop belongs to the thread that runs it (not the one that built it): closing an fd on
// that thread must reach this loop's backend.
void Loop::bind_to_this_thread() {
  auto& c = *core_;
  auto loops = detail::ThreadLoops::of_this_thread();
  loops->add(c);
  c.thread_loops = std::move(loops);
  c.runner = std::this_thread::get_id();
  if (c.watchdog) c.watchdog->set_loop_thread(::pthread_self());
}

void Loop::run_until_finished(const detail::OwnedJob& job) {
  auto& c = *core_;
  if (detail::inherited_through_fork(c.born)) detail::throw_inherited("tide::run");
  if (c.running) throw UsageError("tide::run: called from inside a running loop on this thread");
  const RunClock clock(c);
  while (!job.finished) {
    bool more = iterate(std::chrono::nanoseconds::max());
    if (!job.finished && !more) {
      std::string message =
          "tide::run: deadlock: the task waits for something that can never happen "
          "(no ready task, timer, I/O, thread-pool call, post or Remote is left)";
      // Name the cycles of tasks and fibres that wait on each other, if that is why.
      for (const std::string& cycle : detail::wait_cycles(c))
        message += "\n" + cycle;
      throw UsageError(message);
    }
  }
}

}  // namespace tide
