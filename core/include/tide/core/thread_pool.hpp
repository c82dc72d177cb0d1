#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/callback.hpp>
#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/pool_call.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/when_all.hpp>

namespace tide {

/// A bounded pool of worker threads for blocking calls (DNS, disk, legacy libraries), so they
/// never stall a loop. Threads start on demand up to `max_threads` and live until the pool is
/// shut down. Calls start in FIFO order. A cancelled call that has not started is withdrawn in
/// O(1) (its queue entry is skipped later; its callable is released at once).
///
/// Shutting down follows Python's `Executor.shutdown(wait, cancel_futures)`:
/// - `shutdown()` stops taking work (`execute` and `run` then throw LoopClosed), runs every
///   call already accepted, and joins the workers. The destructor does exactly this.
/// - `shutdown({.cancel_queued = true})` drops the calls that have not started instead: a task
///   awaiting one gets LoopClosed, an `execute` callback is destroyed unrun. So 1,000 queued
///   blocking calls cost nothing; the calls already running still finish (a thread cannot be
///   stopped from outside), and shutdown waits for them.
/// - `shutdown({.wait = false})` returns at once; the workers finish on their own (the running
///   calls, and the queued ones unless cancelled), and the destructor or a later `shutdown()`
///   joins them.
/// A loop shuts its own pool down with `cancel_queued` when it is destroyed, since the frames
/// awaiting its queued calls are destroyed with it; running calls are waited for, since they
/// may use those frames' memory.
/// Thread safety: `run` is called on a loop thread; `execute` from any thread; `shutdown` and
/// destruction from any thread but the pool's own workers (a worker cannot join itself:
/// `shutdown` throws UsageError there, and so the destructor terminates).
class ThreadPool {
 public:
  /// min(32, hardware threads + 4), as Python's default executor.
  [[nodiscard]] static std::size_t default_size() noexcept;

  explicit ThreadPool(std::size_t max_threads = default_size());
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  [[nodiscard]] std::size_t max_threads() const noexcept;
  /// Worker threads started so far.
  [[nodiscard]] std::size_t threads() const noexcept;

  /// Runs `fn()` on a worker, fire and forget. Throws LoopClosed after shutdown began.
  void execute(detail::Callback fn);

  /// Awaitable: runs `fn(args...)` on a worker and resumes the awaiting task on its loop with
  /// the result, or rethrows what `fn` threw. Arguments are moved into the call.
  /// Cancellation: a call that has not started is withdrawn and the task wakes with
  /// `Cancelled`; a running call cannot be stopped, so the task waits for it, gets its result,
  /// and `Cancelled` is raised at its next suspension point.
  template <class F, class... Args>
  [[nodiscard]] auto run(F&& fn, Args&&... args);

  /// Python's `executor.submit(fn, *args)`: spawns a task on the current loop that runs
  /// `fn(args...)` on a worker (queued at the loop's next turn, in submission order) and
  /// returns its JoinHandle, the future: `co_await` it for the result (`tide::await` in a
  /// fibre); `cancel()` withdraws a call that has not started. UsageError outside a loop.
  template <class F, class... Args>
  [[nodiscard]] auto submit(F&& fn, Args&&... args);

  /// Python's `executor.map(fn, items)`, awaited: `fn(item)` for every item on the workers (as
  /// many at once as the pool has threads), the results in the items' order (a `Task<void>`
  /// for a void `fn`). The calls start when the task is awaited. The first exception cancels
  /// the calls not started and is rethrown once the running ones ended; cancelling the task
  /// does the same and raises `Cancelled`.
  template <class F, std::ranges::input_range Range>
  [[nodiscard]] auto map(F fn, const Range& items);

  struct ShutdownOptions {
    bool wait = true;            // join the workers before returning
    bool cancel_queued = false;  // drop the calls that have not started (see the class comment)
  };
  /// Stops taking work and ends the pool as the class comment says. Idempotent: a later call
  /// may still join (`wait`) or drop what is queued (`cancel_queued`).
  /// Throws UsageError, and changes nothing, when called from one of this pool's own workers:
  /// that worker would wait for itself to finish.
  void shutdown(ShutdownOptions options);
  /// `shutdown({})`: run what was accepted, then join.
  void shutdown() { shutdown(ShutdownOptions{}); }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

namespace detail {

template <class R>
class TypedPoolCall final : public PoolCall {
 public:
  explicit TypedPoolCall(std::function<R()> fn) : fn_(std::move(fn)) {}

  R take() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) {
      if constexpr (std::is_reference_v<R>)
        return static_cast<R>(**value_);
      else
        return std::move(*value_);
    }
  }

 private:
  void invoke() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        fn_();
      } else if constexpr (std::is_reference_v<R>) {
        value_.emplace(std::addressof(fn_()));
      } else {
        value_.emplace(fn_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    fn_ = nullptr;  // release what the callable captured on the worker, before waking the loop
  }
  void discard() noexcept override { fn_ = nullptr; }

  using Stored = std::conditional_t<std::is_reference_v<R>, std::remove_reference_t<R>*, R>;
  std::function<R()> fn_;
  std::optional<std::conditional_t<std::is_void_v<R>, char, Stored>> value_;
  std::exception_ptr error_;
};

/// Submits a PoolCall to a pool; defined in thread_pool.cpp.
void submit_pool_call(ThreadPool& pool, PoolCall& call);

template <class R>
class PoolCallAwaiter : private Waiter {
 public:
  PoolCallAwaiter(ThreadPool& pool, std::function<R()> fn)
      : Waiter(&cancelled, &describe), pool_(&pool), fn_(std::move(fn)) {}
  PoolCallAwaiter(PoolCallAwaiter&& other) noexcept
      : Waiter(&cancelled, &describe), pool_(other.pool_), fn_(std::move(other.fn_)) {}
  ~PoolCallAwaiter() {
    if (call_) {
      call_->awaiter = nullptr;
      if (!finished_) call_->abandon();
      call_->release();
    }
  }

  bool await_ready() const noexcept { return false; }
  template <TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    Job& j = *h.promise().job;
    const bool parked = park_and_arm(j, h, [&] {
      call_ = new TypedPoolCall<R>(std::move(fn_));
      call_->awaiter = this;
      call_->on_done = &done;
      j.loop->outside_work_started();
      try {
        submit_pool_call(*pool_, *call_);  // takes its own reference
      } catch (...) {
        j.loop->outside_work_ended();
        throw;
      }
      held_ = true;
    });
    withdrawn_ = !parked;
    return parked;
  }

  R await_resume() {
    if (withdrawn_) job->throw_cancelled();
    if (call_->stage() == PoolCall::dropped)
      throw LoopClosed("tide::ThreadPool was shut down before this call could run");
    return call_->take();
  }

 private:
  static void done(PoolCall& call) noexcept {
    auto& self = *static_cast<PoolCallAwaiter*>(call.awaiter);
    self.finish();
    self.wake();
  }
  static void describe(const Waiter& w, WaitInfo& info) {
    const auto& self = static_cast<const PoolCallAwaiter&>(w);
    const bool queued = self.call_ != nullptr && self.call_->stage() == PoolCall::queued;
    info.what = std::string("to_thread call ") + (queued ? "queued" : "running") + " for " +
                describe_duration(loop_time(*self.job->loop) - self.job->parked_at);
  }
  static void cancelled(Waiter& w) noexcept {
    auto& self = static_cast<PoolCallAwaiter&>(w);
    if (self.call_->withdraw()) {
      self.withdrawn_ = true;
      self.finish();
      self.resume_cancelled();
    }
    // Otherwise the call runs: its result comes back, and the cancellation stays pending.
  }
  void finish() noexcept {
    finished_ = true;
    if (held_) job->loop->outside_work_ended();
    held_ = false;
  }

  ThreadPool* pool_;
  std::function<R()> fn_;
  TypedPoolCall<R>* call_ = nullptr;
  bool held_ = false;
  bool finished_ = false;
  bool withdrawn_ = false;
};

/// A task that awaits one pool call: what `submit` spawns and `map` gathers.
template <class R>
Task<R> await_pool_call(PoolCallAwaiter<R> call) {
  co_return co_await call;
}

}  // namespace detail

template <class F, class... Args>
auto ThreadPool::run(F&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  // std::function needs a copyable callable; a shared state keeps move-only arguments working.
  auto bound = std::make_shared<std::tuple<std::decay_t<F>, std::decay_t<Args>...>>(
      std::forward<F>(fn), std::forward<Args>(args)...);
  return detail::PoolCallAwaiter<R>(*this, [bound]() -> R {
    return std::apply(
        [](auto& f, auto&... a) -> R { return std::invoke(std::move(f), std::move(a)...); },
        *bound);
  });
}

template <class F, class... Args>
auto ThreadPool::submit(F&& fn, Args&&... args) {
  return tide::spawn(
      detail::await_pool_call(run(std::forward<F>(fn), std::forward<Args>(args)...)));
}

template <class F, std::ranges::input_range Range>
auto ThreadPool::map(F fn, const Range& items) {
  using Item = std::ranges::range_value_t<Range>;
  using R = std::invoke_result_t<F&, const Item&>;
  std::vector<Task<R>> calls;
  if constexpr (std::ranges::sized_range<Range>) calls.reserve(std::ranges::size(items));
  for (const auto& item : items)
    calls.push_back(detail::await_pool_call(run(fn, item)));
  return when_all(std::move(calls));
}

/// Runs `fn(args...)` on the current loop's thread pool and resumes with its result; see
/// `ThreadPool::run`. Throws UsageError when called outside a running loop.
template <class F, class... Args>
[[nodiscard]] auto to_thread(F&& fn, Args&&... args) {
  return Loop::current().thread_pool().run(std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace tide
