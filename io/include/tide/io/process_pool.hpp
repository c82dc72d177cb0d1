#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/task.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/detail/pool_call.hpp>
#include <tide/io/pool_errors.hpp>
#include <tide/io/pool_future.hpp>

namespace tide::io {

template <class R>
class PoolStream;

/// A pool of worker processes for CPU-bound work (Python's `multiprocessing.Pool` and
/// `ProcessPoolExecutor`), awaited from tasks (`co_await`) and fibres (`tide::await`) without
/// ever blocking the loop.
///
///     int square(int x) { return x * x; }
///     tide::ProcessPool pool({.workers = 2});
///     int y = co_await pool.submit(square, 7);                     // 49
///     std::vector<int> xs{1, 2, 3};
///     std::vector<int> ys = co_await pool.map(square, xs);         // 1, 4, 9
///     // (g++ 12 rejects a braced temporary such as std::vector{1, 2, 3} inside a co_await
///     // expression, "array used as initializer": name it first.)
///
/// What crosses: a function crosses by address (the workers are forks of this program, so
/// addresses are the same there): a plain function, a lambda without captures or an empty
/// function object. A lambda with captures is a compile-time error: pass what it would capture
/// as arguments. Arguments and results cross with tide's codec (io/codec.hpp, cereal): standard
/// types work, user types add a `serialize(Archive&)`; anything else is a compile-time error.
///
/// Workers come from a fork server, a single-threaded process forked by the constructor, which
/// forks every worker (the first ones and replacements). So a worker is a copy of this process
/// as it was when the pool was constructed, whatever threads run here later: construct the
/// pool early (before starting threads, and before taking locks a worker might need), and
/// state created after that (globals, heap objects) is not in the workers. Server and workers
/// die with this process (PR_SET_PDEATHSIG) or when the pool closes their sockets.
/// stdio: the constructor flushes this process's stdio buffers before it forks (so nothing
/// buffered is printed again by the workers), and a worker flushes its own before it sends
/// a batch of answers, so what a call prints is out before its result arrives.
///
/// Scheduling: calls go to the worker with the fewest calls in flight (up to
/// `Options::max_in_flight` each), which answers them in order; calls made in one loop
/// iteration leave in one write per worker, and a worker answers a whole read in one write.
/// A call that throws fails with RemoteError (type name and message); a worker that dies fails
/// the call it was running with WorkerCrashed and is replaced, and its other calls run
/// elsewhere. (Calls it had finished but not yet answered, in the same batch, run again:
/// answers leave once per batch.)
///
/// Thread safety: the pool binds to the loop that first submits to it; other threads get
/// UsageError. Destroy it before that loop (its destructor kills and reaps every process).
class ProcessPool {
 public:
  struct Options {
    /// Worker processes; 0: one per CPU this process may run on.
    std::size_t workers = 0;
    /// Calls in flight per worker at most (sent, not answered); more wait in the pool's queue,
    /// where they can still be withdrawn.
    std::size_t max_in_flight = 64;
    /// How long an idle worker polls its socket before it sleeps (0: never spins). A spin
    /// that finds nothing costs this much CPU once per idle transition.
    std::chrono::microseconds worker_spin{50};
    /// A worker exits after this many calls and is replaced (0: never; Python's
    /// maxtasksperchild).
    std::size_t max_tasks_per_worker = 0;
    /// Runs once in each worker when it starts (Python's initializer).
    void (*initializer)() = nullptr;
  };

  ProcessPool();
  /// Forks the fork server and the workers. Throws std::system_error if it cannot.
  explicit ProcessPool(Options options);
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;
  /// Terminates: pending calls fail with PoolClosed, every process is killed and reaped.
  ~ProcessPool();

  /// Runs `fn(args...)` in a worker; await the returned future for its result.
  /// Throws PoolClosed after close/shutdown/terminate, UsageError off the pool's loop.
  template <class F, class... Args>
  auto submit(F&& fn, Args&&... args) {
    return submit_impl(std::nullopt, {}, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  /// `submit` with a deadline `timeout` after this call: if the call has not finished by
  /// then it fails with TaskTimeout, and the worker running it (if any) is killed and
  /// replaced. Such a call runs alone on its worker, so nothing else is lost with it.
  template <class Rep, class Period, class F, class... Args>
  auto submit_with_timeout(std::chrono::duration<Rep, Period> timeout, F&& fn, Args&&... args) {
    return submit_impl(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout), {},
                       std::forward<F>(fn), std::forward<Args>(args)...);
  }

  /// Python's `apply_async(fn, args, callback, error_callback)`: `callback(result)` or
  /// `error_callback(exception)` runs on the loop when the call ends (exceptions from them go
  /// to the loop's unhandled-exception handler). The future may be dropped: the callbacks
  /// still run.
  template <class F, class... Args>
  auto apply_async(
      F&& fn, std::tuple<Args...> args,
      std::function<void(const detail::PoolStored<
                         typename detail::PoolSignature<std::decay_t<F>, Args...>::Result>&)>
          callback = {},
      std::function<void(std::exception_ptr)> error_callback = {}) {
    using R = typename detail::PoolSignature<std::decay_t<F>, Args...>::Result;
    std::function<void(detail::PoolRequest&)> on_done =
        [callback = std::move(callback),
         error_callback = std::move(error_callback)](detail::PoolRequest& request) {
          auto& typed = static_cast<detail::TypedPoolRequest<R>&>(request);
          if (typed.error) {
            if (error_callback) error_callback(typed.error);
          } else if (callback && typed.value) {
            callback(*typed.value);
          }
        };
    return std::apply(
        [&](auto&&... a) {
          return submit_impl(std::nullopt, std::move(on_done), std::forward<F>(fn),
                             std::forward<decltype(a)>(a)...);
        },
        std::move(args));
  }

  /// Python's `Pool.map`: `fn(item)` for every item of `items`, results in order. Items go in
  /// chunks of `chunksize` (0: about four chunks per worker, as Python computes it), one call
  /// each; all chunks are submitted before this returns. The first call that fails fails the
  /// whole map (the other chunks are given up).
  template <class F, std::ranges::input_range Range>
  auto map(F&& fn, Range&& items, std::size_t chunksize = 0) {
    using Fn = std::decay_t<F>;
    using Item = detail::PoolChunkItem<Fn, std::ranges::range_value_t<Range>>;
    using R = typename detail::PoolSignature<Fn, Item>::Result;
    return collect<R>(submit_chunks<Fn, Item, R>(fn, std::forward<Range>(items), chunksize, {}));
  }

  /// Python's `imap_unordered`: results as they finish, from `co_await stream.next()`
  /// (std::nullopt after the last). Chunks of `chunksize` items (default 1).
  template <class F, std::ranges::input_range Range>
  auto imap_unordered(F&& fn, Range&& items, std::size_t chunksize = 1) {
    using Fn = std::decay_t<F>;
    using Item = detail::PoolChunkItem<Fn, std::ranges::range_value_t<Range>>;
    using R = typename detail::PoolSignature<Fn, Item>::Result;
    PoolStream<R> stream;
    std::weak_ptr<typename PoolStream<R>::State> weak = stream.state_;
    std::function<void(detail::PoolRequest&)> on_done = [weak](detail::PoolRequest& request) {
      auto state = weak.lock();
      if (!state) return;
      auto& typed = static_cast<detail::TypedPoolRequest<std::vector<R>>&>(request);
      --state->left;
      if (typed.error) {
        if (!state->error) state->error = typed.error;
      } else if (typed.value) {
        for (auto& v : *typed.value)
          state->items.push_back(std::move(v));
      }
      state->arrived.wake_all();
    };
    stream.chunks_ = submit_chunks<Fn, Item, R>(fn, std::forward<Range>(items),
                                                chunksize == 0 ? 1 : chunksize, on_done);
    stream.state_->left = stream.chunks_.size();
    return stream;
  }

  /// No new calls (`submit` throws PoolClosed); those accepted still run. Once they are done
  /// the workers and the fork server exit.
  void close();
  /// Awaits the end of every accepted call and of the pool's processes (after close() or
  /// terminate(); UsageError before).
  [[nodiscard]] Task<void> join();
  /// Stops at once: calls not finished fail with PoolClosed; processes are killed and reaped.
  void terminate();
  /// ProcessPoolExecutor's shutdown: closes now (and with `cancel_futures` withdraws the calls
  /// no worker has taken, which fail with PoolCancelled); the returned task awaits join() when
  /// `wait`, else finishes at once (the pool then winds down by itself).
  [[nodiscard]] Task<void> shutdown(bool wait = true, bool cancel_futures = false);

  /// Worker slots (Options::workers).
  [[nodiscard]] std::size_t size() const noexcept;
  /// The pids of the workers running now. A worker being started is reported by the fork
  /// server a fork's time later: this waits (blocking, about a millisecond) for that report.
  [[nodiscard]] std::vector<pid_t> pids();
  /// The fork server's pid (-1 once stopped).
  [[nodiscard]] pid_t server_pid() const noexcept;

 private:
  template <class F, class... Args>
  auto submit_impl(std::optional<std::chrono::nanoseconds> timeout,
                   std::function<void(detail::PoolRequest&)> callback, F&& fn, Args&&... args) {
    using Fn = std::decay_t<F>;
    static_assert(detail::PoolCallable<Fn>::is_pointer || detail::PoolCallable<Fn>::is_empty_type,
                  "see the message above");
    using Sig = detail::PoolSignature<Fn, Args...>;
    using Tuple = typename Sig::Tuple;
    using R = typename Sig::Result;
    check_types<Tuple, R>();
    auto request = std::make_shared<detail::BoundPoolRequest<R, Tuple>>(
        &detail::pool_trampoline<Fn, Tuple, R>, detail::pool_address<Fn>(fn),
        Tuple(std::forward<Args>(args)...));
    request->callback = std::move(callback);
    if (timeout) {
      request->deadline.emplace();
      request->deadline->timeout = *timeout;
    }
    detail::pool_submit(core(), request);
    return PoolFuture<R>(std::move(request));
  }

  template <class Tuple, class R>
  static constexpr void check_types() {
    []<std::size_t... I>(std::index_sequence<I...>) {
      (detail::check_serializable<std::tuple_element_t<I, Tuple>>(), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    detail::check_pool_type<R>();
  }

  template <class Fn, class Item, class R, class Range>
  std::vector<PoolFuture<std::vector<R>>> submit_chunks(
      const Fn& fn, Range&& items, std::size_t chunksize,
      const std::function<void(detail::PoolRequest&)>& callback) {
    static_assert(detail::PoolCallable<Fn>::is_pointer || detail::PoolCallable<Fn>::is_empty_type,
                  "see the message above");
    static_assert(!std::is_void_v<R>, "tide::ProcessPool::map: the function must return a value");
    detail::check_serializable<Item>();
    detail::check_serializable<R>();
    std::vector<Item> all;
    for (auto&& item : items)
      all.emplace_back(std::forward<decltype(item)>(item));
    if (chunksize == 0) {
      const std::size_t parts = 4 * std::max<std::size_t>(1, size());
      chunksize = std::max<std::size_t>(1, (all.size() + parts - 1) / parts);
    }
    using Tuple = std::tuple<std::vector<Item>>;
    std::vector<PoolFuture<std::vector<R>>> futures;
    futures.reserve((all.size() + chunksize - 1) / chunksize);
    for (std::size_t at = 0; at < all.size(); at += chunksize) {
      const std::size_t end = std::min(all.size(), at + chunksize);
      std::vector<Item> chunk(
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(at)),
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
      auto request = std::make_shared<detail::BoundPoolRequest<std::vector<R>, Tuple>>(
          &detail::pool_chunk_trampoline<Fn, Item, R>, detail::pool_address<Fn>(fn),
          Tuple(std::move(chunk)));
      request->callback = callback;
      detail::pool_submit(core(), request);
      futures.emplace_back(std::move(request));
    }
    return futures;
  }

  template <class R>
  static Task<std::vector<R>> collect(std::vector<PoolFuture<std::vector<R>>> parts) {
    std::vector<R> out;
    for (auto& part : parts) {
      std::vector<R> values = co_await part;
      out.insert(out.end(), std::make_move_iterator(values.begin()),
                 std::make_move_iterator(values.end()));
    }
    co_return out;
  }

  detail::PoolCore& core() const noexcept { return *core_; }

  std::unique_ptr<detail::PoolCore> core_;
};

/// The results of `ProcessPool::imap_unordered`, as they finish. Dropping it gives up the
/// chunks no worker has taken. Loop thread only.
template <class R>
class PoolStream {
 public:
  PoolStream() = default;
  PoolStream(PoolStream&&) noexcept = default;
  PoolStream& operator=(PoolStream&&) noexcept = default;
  ~PoolStream() {
    for (auto& chunk : chunks_)
      chunk.cancel();
  }

  /// The next result, std::nullopt after the last; rethrows the first failure (once).
  /// Cancellation: the wait ends with `Cancelled`; results keep arriving for a later call.
  [[nodiscard]] Task<std::optional<R>> next() {
    auto state = state_;
    for (;;) {
      if (!state->items.empty()) {
        R value = std::move(state->items.front());
        state->items.pop_front();
        co_return std::optional<R>(std::move(value));
      }
      if (state->error) std::rethrow_exception(std::exchange(state->error, nullptr));
      if (state->left == 0) co_return std::nullopt;
      co_await state->arrived.wait();
    }
  }

 private:
  friend class ProcessPool;
  struct State {
    std::deque<R> items;
    std::exception_ptr error;
    std::size_t left = 0;  // chunks not yet answered
    tide::detail::WaitQueue arrived{{.owner = this, .what = "ProcessPool::imap results"}};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::vector<PoolFuture<std::vector<R>>> chunks_;
};

}  // namespace tide::io

namespace tide {
using io::PoolStream;
using io::ProcessPool;
}  // namespace tide
