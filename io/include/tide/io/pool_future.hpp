#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <utility>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>
#include <tide/io/detail/pool_call.hpp>

namespace tide::io {

/// The pending result of one ProcessPool call (what `submit` and `apply_async` return; Python's
/// `concurrent.futures.Future` / `AsyncResult`). `co_await` it (or `tide::await` it in a fibre)
/// for the result, or the exception: RemoteError (the function threw), WorkerCrashed (its
/// worker died while running it), TaskTimeout (its deadline passed), PoolClosed (the pool was
/// terminated or destroyed first), CodecError (the result did not decode).
///
/// Dropping a future that has no callback gives the call up: withdrawn if no worker has it
/// yet, else its answer is discarded. `detach()` keeps the call (Python's behaviour for an
/// AsyncResult nobody looks at): it runs, and its answer is discarded. Callbacks
/// (`apply_async`) run whether the future is kept or not.
/// Cancellation: an awaiting task that is cancelled withdraws the call if no worker has it
/// yet; otherwise the call runs to its end and its answer is discarded. Either way the task
/// resumes at once with `Cancelled`.
/// Thread safety: loop thread only (the loop the pool is bound to).
template <class R>
class [[nodiscard]] PoolFuture {
 public:
  class Awaiter;

  PoolFuture() noexcept = default;
  explicit PoolFuture(std::shared_ptr<detail::TypedPoolRequest<R>> request) noexcept
      : request_(std::move(request)) {}
  PoolFuture(PoolFuture&&) noexcept = default;
  PoolFuture& operator=(PoolFuture&& other) noexcept {
    if (this != &other) {
      drop();
      request_ = std::move(other.request_);
    }
    return *this;
  }
  ~PoolFuture() { drop(); }

  /// Whether the result (or error) is there: awaiting it will not suspend.
  [[nodiscard]] bool ready() const noexcept {
    return request_ && request_->stage == detail::PoolRequest::Stage::done;
  }
  /// Whether it finished with a value (false while not ready).
  [[nodiscard]] bool successful() const noexcept { return ready() && !request_->error; }
  /// Withdraws the call if no worker has it yet (the future then fails with PoolCancelled);
  /// false if it is already running or done (Python's `Future.cancel`).
  bool cancel() noexcept {
    return request_ && request_->core != nullptr &&
           detail::pool_withdraw(*request_->core, *request_);
  }

  /// Lets the call run to its end with nobody waiting for it (the pool keeps it; `join()`
  /// waits for it); the future is empty afterwards.
  void detach() noexcept { request_.reset(); }

  Awaiter operator co_await() & noexcept { return Awaiter(request_.get()); }
  Awaiter operator co_await() && noexcept { return Awaiter(request_.get()); }
  /// The names Python code uses, `Future.result()` and `AsyncResult.get()`: the same as
  /// awaiting the future (`co_await f.result()`, `tide::await(f.get())`).
  [[nodiscard]] Awaiter result() noexcept { return Awaiter(request_.get()); }
  [[nodiscard]] Awaiter get() noexcept { return Awaiter(request_.get()); }

 private:
  void drop() noexcept {
    if (request_ && !request_->callback && request_->stage != detail::PoolRequest::Stage::done &&
        request_->core != nullptr)
      detail::pool_drop(*request_->core, *request_);
    request_.reset();
  }

  std::shared_ptr<detail::TypedPoolRequest<R>> request_;
};

/// Awaits a PoolFuture; yields the result (moved out: awaiting a second time is a UsageError).
template <class R>
class PoolFuture<R>::Awaiter : private tide::detail::Waiter {
 public:
  explicit Awaiter(detail::TypedPoolRequest<R>* request) noexcept
      : Waiter(&cancelled, &describe), request_(request) {}
  Awaiter(Awaiter&& other) noexcept : Awaiter(other.request_) {}
  ~Awaiter() {
    if (request_ != nullptr && request_->listener == this) request_->listener = nullptr;
  }

  bool await_ready() const {
    if (request_ == nullptr) throw UsageError("tide::PoolFuture: awaiting an empty future");
    return request_->stage == detail::PoolRequest::Stage::done;
  }
  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    const bool parked = park_and_arm(*h.promise().job, h, [&] {
      request_->listener = this;
      request_->notify = &done;
    });
    if (!parked) cancelled_ = true;
    return parked;
  }
  R await_resume() {
    if (cancelled_) job->throw_cancelled();
    if (request_->error) std::rethrow_exception(request_->error);
    if (!request_->value)
      throw UsageError("tide::PoolFuture: its result was already taken (awaited twice)");
    if constexpr (std::is_void_v<R>) {
      request_->value.reset();
    } else {
      R value = std::move(*request_->value);
      request_->value.reset();
      return value;
    }
  }

 private:
  static void done(void* listener, detail::PoolRequest&) noexcept {
    static_cast<Awaiter*>(listener)->wake();
  }
  static void describe(const tide::detail::Waiter& w, tide::detail::WaitInfo& info) {
    detail::describe_pool_wait(*static_cast<const Awaiter&>(w).request_, info);
  }
  static void cancelled(tide::detail::Waiter& w) noexcept {
    auto& self = static_cast<Awaiter&>(w);
    self.request_->listener = nullptr;
    if (self.request_->core != nullptr && !self.request_->callback)
      detail::pool_drop(*self.request_->core, *self.request_);
    self.cancelled_ = true;
    self.resume_cancelled();
  }

  detail::TypedPoolRequest<R>* request_;
  bool cancelled_ = false;
};

}  // namespace tide::io

namespace tide {
using io::PoolFuture;
}
