#pragma once

#include <chrono>
#include <coroutine>
#include <string>
#include <type_traits>
#include <utility>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

/// Inside a fibre: waits for any tide awaitable (a task, a JoinHandle, a sleep, a read, a lock,
/// ...) and returns its result, suspending only this fibre; the loop runs everything else
/// meanwhile. This one bridge is what lets every tide API serve fibres.
///
///     auto n = tide::await(pipe.read(buffer));
///
/// Cancellation: a kill (or the handle dropped) raises `FiberExit` here, an expired `Timeout`
/// scope `TimeoutError`; the awaited operation is cancelled first, as for a task.
/// Throws UsageError outside a fibre, LoopClosed while its loop is being destroyed.
/// The awaiter must resume through the loop (every tide awaiter does).
template <class Awaitable>
decltype(auto) await(Awaitable&& awaitable) {
  detail::FiberJob& fibre = detail::FiberJob::require_running("tide::await");
  if (fibre.loop->closing)
    throw LoopClosed("tide::await: the loop of " + fibre.describe() + " is being destroyed");
  decltype(auto) awaiter = detail::get_awaiter(std::forward<Awaitable>(awaitable));
  if (!awaiter.await_ready()) {
    const auto here = fibre.handle();
    using Suspend = decltype(awaiter.await_suspend(here));
    if constexpr (std::is_void_v<Suspend>) {
      awaiter.await_suspend(here);
      fibre.suspend();
    } else if constexpr (std::is_same_v<Suspend, bool>) {
      if (awaiter.await_suspend(here)) fibre.suspend();
    } else {
      std::coroutine_handle<> next = awaiter.await_suspend(here);
      if (next != here) {
        detail::LoopCore::resume_next(next);  // runs once the fibre is off the loop's stack
        fibre.suspend();
      }
    }
  }
  try {
    return awaiter.await_resume();
  } catch (const Cancelled&) {
    fibre.rethrow_cancellation();
  }
}

/// Inside a fibre: suspends it for `delay` on the loop's clock (see `sleep_for`).
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> delay) {
  tide::await(sleep_for(delay));
}

namespace detail {

/// Waits for `awaitable` from plain (non-coroutine) code: a fibre suspends; on the loop's
/// thread with the loop not running, the loop runs until it is done (gevent's main greenlet
/// blocking in the hub); inside a task it would block the loop, which is a UsageError.
template <class Awaitable>
decltype(auto) block_on(LoopCore& loop, Awaitable&& awaitable, const char* what) {
  if (FiberJob* fibre = FiberJob::running()) {
    if (fibre->loop != &loop)
      throw UsageError(std::string(what) + ": the fibre belongs to another loop");
    return tide::await(std::forward<Awaitable>(awaitable));
  }
  if (loop.running)
    throw UsageError(std::string(what) +
                     " would block the loop from inside a task: co_await it there instead");
  return loop.owner.run_until_complete(as_task(std::forward<Awaitable>(awaitable)));
}

}  // namespace detail
}  // namespace tide
