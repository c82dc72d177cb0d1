#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/done_awaiter.hpp>
#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

template <class T>
class Fiber;

/// A reference to a fibre of any result type, for `joinall({a, b})`.
class FiberRef {
 public:
  template <class T>
  FiberRef(const Fiber<T>& fibre) noexcept : job_(fibre.job_) {}  // NOLINT: implicit on purpose
  [[nodiscard]] detail::FiberJob* job() const noexcept { return job_; }

 private:
  detail::FiberJob* job_;
};

namespace detail {

struct AdoptFiber {};

/// `joinall`: waits for each job until `until`; returns how many have finished.
std::size_t join_all(std::span<FiberJob* const> fibres, std::optional<Clock::time_point> until);

template <class T>
T take_fiber_result(FiberResult<T>& job) {
  return job.take_result();
}

/// `Fiber<T>::join()`'s result: converts to T (waiting there, in a fibre or outside the loop),
/// or is awaited by a task. Discarded (`fibre.join();`), it waits in its destructor and
/// rethrows the fibre's exception.
template <class Owner, class T>
class JoinValue {
 public:
  operator T() const { return static_cast<const Owner&>(*this).get(); }  // NOLINT: implicit
};
template <class Owner>
class JoinValue<Owner, void> {};

}  // namespace detail

/// Owner of a fibre started by `spawn_fiber`: join it for its value (or exception), kill it, or
/// let it go with `detach()`. Destroying the handle of an unfinished fibre kills it.
/// Thread safety: loop thread only.
template <class T>
class [[nodiscard]] Fiber {
 public:
  Fiber() noexcept = default;
  /// Takes ownership of a started fibre (what spawn_fiber does).
  Fiber(detail::AdoptFiber, detail::FiberResult<T>* job) noexcept : job_(job) {}
  Fiber(Fiber&& other) noexcept : job_(std::exchange(other.job_, nullptr)) {}
  Fiber& operator=(Fiber&& other) noexcept {
    if (this != &other) {
      reset(true);
      job_ = std::exchange(other.job_, nullptr);
    }
    return *this;
  }
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
  ~Fiber() { reset(true); }

  [[nodiscard]] bool valid() const noexcept { return job_ != nullptr; }
  /// True once the fibre returned, threw or was killed (or its loop was destroyed).
  [[nodiscard]] bool done() const noexcept {
    return job_ && (job_->finished || job_->frame_destroyed);
  }
  /// True once the fibre has ended by a kill (FiberExit).
  [[nodiscard]] bool killed() const noexcept { return job_ && job_->finished && job_->killed(); }
  /// Raises `FiberExit` in the fibre at its current or next suspension point (a fibre killed
  /// before it started never runs). Does not wait: `join()` does. No effect once done.
  void kill() noexcept {
    if (job_ && !done()) job_->kill();
  }
  /// Lets the fibre run on unowned; an exception escaping it then goes to the loop's
  /// `on_unhandled_exception`. The handle becomes empty.
  void detach() noexcept { reset(false); }
  /// The loop-unique id of the fibre ("fibre #id" in diagnostics).
  [[nodiscard]] std::uint64_t id() const noexcept { return job_ ? job_->id : 0; }

  /// Waits for the fibre and gives its result (the value, or its exception rethrown;
  /// `FiberExit` if it was killed). Taken once: a second join is a UsageError.
  ///   in a fibre:  `int v = f.join();` or `f.join();` (suspends only the calling fibre)
  ///   in a task:   `int v = co_await f.join();`
  ///   outside the loop, on its thread: runs the loop until the fibre is done.
  /// Cancellation (of the waiting fibre or task): stops waiting; the joined fibre runs on.
  class Join : public detail::JoinValue<Join, T> {
   public:
    Join(const Join&) = delete;
    Join& operator=(const Join&) = delete;
    ~Join() noexcept(false) {
      if (!used_ && std::uncaught_exceptions() == uncaught_) get();
    }

    /// Waits (in a fibre, or outside the loop) and returns the result.
    T get() const {
      used_ = true;
      detail::FiberJob& job = owner_->check("join()");
      if (&job == detail::FiberJob::running())
        throw UsageError("tide::Fiber::join(): " + job.describe() + " joins itself");
      if (!job.finished && !job.frame_destroyed)  // after its loop is gone: LoopClosed below
        detail::block_on(*job.loop, detail::DoneAwaiter(job), "tide::Fiber::join()");
      return owner_->take("join()");
    }

    class Awaiter : public detail::DoneAwaiter {
     public:
      Awaiter(detail::FiberJob& target, Fiber& owner) noexcept
          : DoneAwaiter(target), owner_(&owner) {}
      T await_resume() {
        DoneAwaiter::await_resume();
        return owner_->take("join()");
      }

     private:
      Fiber* owner_;
    };
    Awaiter operator co_await() && {
      used_ = true;
      return Awaiter(owner_->check("co_await join()"), *owner_);
    }

   private:
    friend class Fiber;
    explicit Join(Fiber& owner) noexcept : owner_(&owner) {}
    Fiber* owner_;
    int uncaught_ = std::uncaught_exceptions();
    mutable bool used_ = false;
  };
  Join join() { return Join(*this); }
  /// `co_await fibre` is `co_await fibre.join()` (and `tide::await(fibre)` joins it too).
  typename Join::Awaiter operator co_await() {
    return typename Join::Awaiter(check("co_await"), *this);
  }

  /// The finished fibre's value, or its exception rethrown. UsageError if it has not finished
  /// or the result was already taken; LoopClosed if its loop was destroyed first.
  T result() { return take("result()"); }

 private:
  template <class U>
  friend class Fiber;
  friend class FiberRef;
  friend class Loop;

  detail::FiberResult<T>& check(const char* what) const {
    if (!job_)
      throw UsageError(std::string("tide::Fiber::") + what +
                       " on an empty handle (moved from, detached or default-constructed)");
    if (job_->result_taken)
      throw UsageError(std::string("tide::Fiber::") + what + ": the result of " + job_->describe() +
                       " was already taken (a fibre is joined once)");
    return *job_;
  }
  T take(const char* what) {
    detail::FiberResult<T>& job = check(what);
    if (!job.finished) {
      if (job.frame_destroyed)
        throw LoopClosed(std::string("tide::Fiber::") + what + ": the loop was destroyed before " +
                         job.describe() + " finished");
      throw UsageError(std::string("tide::Fiber::") + what + ": " + job.describe() +
                       " has not finished");
    }
    job.result_taken = true;
    return job.take_result();
  }
  void reset(bool kill) noexcept {
    if (job_) std::exchange(job_, nullptr)->drop_handle(kill);
  }

  detail::FiberResult<T>* job_ = nullptr;
};

namespace detail {
template <class Fn, class... Args>
using fiber_result_t = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;

/// Starts `fn(args...)` as a fibre; the caller owns the returned job (as a handle does).
template <class Fn, class... Args>
FiberResult<fiber_result_t<Fn, Args...>>* start_fiber_job(LoopCore& loop,
                                                          const FiberOptions& options, Fn&& fn,
                                                          Args&&... args) {
  using T = fiber_result_t<Fn, Args...>;
  auto* job = new FiberJobOf<T, std::decay_t<Fn>, std::decay_t<Args>...>(
      loop, options, std::forward<Fn>(fn), std::forward<Args>(args)...);
  job->start();  // frees the job if it throws
  return job;
}

template <class Fn, class... Args>
Fiber<fiber_result_t<Fn, Args...>> start_fiber(LoopCore& loop, const FiberOptions& options, Fn&& fn,
                                               Args&&... args) {
  return Fiber<fiber_result_t<Fn, Args...>>(
      AdoptFiber{},
      start_fiber_job(loop, options, std::forward<Fn>(fn), std::forward<Args>(args)...));
}

template <class Fn>
concept FiberFunction = !std::same_as<std::remove_cvref_t<Fn>, FiberOptions> &&
                        !std::same_as<std::remove_cvref_t<Fn>, Loop>;
template <class A>
concept NotSite = !std::same_as<std::remove_cvref_t<A>, SourceSite>;

inline FiberOptions options_at(SourceSite where) {
  FiberOptions options;
  options.where = where;
  return options;
}
}  // namespace detail

/// Starts `fn(args...)` as a fibre on `loop` (it runs from the loop's next iteration). The
/// arguments are copied or moved into the fibre, as by std::thread. Creating a fibre takes a
/// stack: when no guarded stack can be mapped it throws std::system_error naming the limit.
///
/// Where the call is written is kept for `Loop::dump`: through `options.where` (the line the
/// options' braces are on), or, without options, through a default argument after up to
/// three arguments for `fn` (C++ has no default argument after a pack; with more, pass
/// `FiberOptions{}` first to keep the location).
template <class Fn, class... Args>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Loop& loop, FiberOptions options, Fn&& fn, Args&&... args) {
  return detail::start_fiber(loop.core(), options, std::forward<Fn>(fn),
                             std::forward<Args>(args)...);
}
template <class Fn>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Loop& loop, Fn&& fn, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(loop.core(), detail::options_at(where), std::forward<Fn>(fn));
}
template <class Fn, detail::NotSite A1>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Loop& loop, Fn&& fn, A1&& a1, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(loop.core(), detail::options_at(where), std::forward<Fn>(fn),
                             std::forward<A1>(a1));
}
template <class Fn, class A1, detail::NotSite A2>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Loop& loop, Fn&& fn, A1&& a1, A2&& a2, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(loop.core(), detail::options_at(where), std::forward<Fn>(fn),
                             std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class Fn, class A1, class A2, detail::NotSite A3>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Loop& loop, Fn&& fn, A1&& a1, A2&& a2, A3&& a3,
                 SourceSite where = SourceSite::here()) {
  return detail::start_fiber(loop.core(), detail::options_at(where), std::forward<Fn>(fn),
                             std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3));
}
template <class Fn, class... Args>
requires detail::FiberFunction<Fn> &&
    (sizeof...(Args) > 3) auto spawn_fiber(Loop& loop, Fn&& fn, Args&&... args) {
  return detail::start_fiber(loop.core(), detail::options_at({}), std::forward<Fn>(fn),
                             std::forward<Args>(args)...);
}

/// Starts a fibre on the loop running this thread (UsageError when none is).
template <class Fn, class... Args>
requires detail::FiberFunction<Fn>
auto spawn_fiber(FiberOptions options, Fn&& fn, Args&&... args) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), options,
                             std::forward<Fn>(fn), std::forward<Args>(args)...);
}
template <class Fn>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Fn&& fn, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), detail::options_at(where),
                             std::forward<Fn>(fn));
}
template <class Fn, detail::NotSite A1>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Fn&& fn, A1&& a1, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), detail::options_at(where),
                             std::forward<Fn>(fn), std::forward<A1>(a1));
}
template <class Fn, class A1, detail::NotSite A2>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Fn&& fn, A1&& a1, A2&& a2, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), detail::options_at(where),
                             std::forward<Fn>(fn), std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class Fn, class A1, class A2, detail::NotSite A3>
requires detail::FiberFunction<Fn>
auto spawn_fiber(Fn&& fn, A1&& a1, A2&& a2, A3&& a3, SourceSite where = SourceSite::here()) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), detail::options_at(where),
                             std::forward<Fn>(fn), std::forward<A1>(a1), std::forward<A2>(a2),
                             std::forward<A3>(a3));
}
template <class Fn, class... Args>
requires detail::FiberFunction<Fn> &&
    (sizeof...(Args) > 3) auto spawn_fiber(Fn&& fn, Args&&... args) {
  return detail::start_fiber(detail::current_core("tide::spawn_fiber"), detail::options_at({}),
                             std::forward<Fn>(fn), std::forward<Args>(args)...);
}

template <class Fn, class... Args>
requires(!std::is_same_v<std::remove_cvref_t<Fn>, FiberOptions>) auto Loop::spawn_fiber(
    Fn&& fn, Args&&... args) {
  return tide::spawn_fiber(*this, detail::options_at({}), std::forward<Fn>(fn),
                           std::forward<Args>(args)...);
}
template <class Fn, class... Args>
auto Loop::spawn_fiber(FiberOptions options, Fn&& fn, Args&&... args) {
  return tide::spawn_fiber(*this, std::move(options), std::forward<Fn>(fn),
                           std::forward<Args>(args)...);
}

/// Waits until every fibre has finished, or `timeout` has passed; returns how many have
/// finished. Takes no results (join each for its value or exception). Waits like `join()`:
/// in a fibre, or outside the loop on its thread.
template <std::ranges::input_range Fibres>
std::size_t joinall(Fibres&& fibres) {
  std::vector<detail::FiberJob*> jobs;
  for (auto&& f : fibres)
    jobs.push_back(FiberRef(f).job());
  return detail::join_all(jobs, std::nullopt);
}
template <std::ranges::input_range Fibres, class Rep, class Period>
std::size_t joinall(Fibres&& fibres, std::chrono::duration<Rep, Period> timeout) {
  std::vector<detail::FiberJob*> jobs;
  for (auto&& f : fibres)
    jobs.push_back(FiberRef(f).job());
  return detail::join_all(
      jobs, detail::deadline_after(detail::Clock::now(), detail::clamp_to_nanoseconds(timeout)));
}
inline std::size_t joinall(std::initializer_list<FiberRef> fibres) {
  return joinall(std::span<const FiberRef>(fibres.begin(), fibres.size()));
}
template <class Rep, class Period>
std::size_t joinall(std::initializer_list<FiberRef> fibres,
                    std::chrono::duration<Rep, Period> timeout) {
  return joinall(std::span<const FiberRef>(fibres.begin(), fibres.size()), timeout);
}

}  // namespace tide
