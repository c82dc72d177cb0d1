#pragma once

#include <cerrno>
#include <coroutine>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/loop.hpp>

namespace tide::io::detail {

using tide::detail::IoOp;

/// "tide: read from fd 7" and the like, for error messages.
std::string describe_op(const IoOp& op);
/// What a parked op waits for, for Loop::dump: "recv from fd 7 (tcp 127.0.0.1:8080 <-
/// 127.0.0.1:40000) (io_uring)", "child process 1234 (pidfd 9) (epoll)".
std::string describe_waiting_op(const IoOp& op, std::string_view backend);

/// Awaits one I/O operation on the current loop's backend. On readiness backends the syscall is
/// tried first and the task only suspends if it would block.
/// Result: `op.result` (bytes, fd, ...). Errors: std::system_error carrying the errno.
/// Cancellation: the operation is cancelled in the backend, and the task resumes with
/// `Cancelled` only after the backend has let go of it; if it completed first, its result is
/// returned and `Cancelled` comes at the next suspension point.
class IoAwaiter : private tide::detail::Waiter, private IoOp {
 public:
  explicit IoAwaiter(const IoOp& op) noexcept : Waiter(&cancelled, &describe), IoOp(op) {}
  IoAwaiter(IoAwaiter&& other) noexcept
      : Waiter(&cancelled, &describe), IoOp(static_cast<IoOp&>(other)) {}
  ~IoAwaiter() {
    if (op().in_flight) loop_->io_abandon(op());
  }

  bool await_ready() {
    loop_ = &tide::detail::current_core("tide I/O");
    if (op().fd < 0) {
      op().result = -EBADF;
      return true;
    }
    return loop_->io_try_now(op());
  }

  template <tide::detail::TidePromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    const bool parked = park_and_arm(*h.promise().job, h, [&] {
      op().on_complete = &completed;
      loop_->io_submit(op());
    });
    if (!parked) {
      cancelled_ = true;
      op().result = -ECANCELED;
    }
    return parked;
  }

  long await_resume() {
    if (cancelled_ && op().result == -ECANCELED) job->throw_cancelled();
    if (op().result < 0)
      throw std::system_error(static_cast<int>(-op().result), std::system_category(),
                              describe_op(op()));
    return op().result;
  }

 private:
  IoOp& op() noexcept { return *this; }
  static void completed(IoOp& op) noexcept { static_cast<IoAwaiter&>(op).wake(); }
  static void describe(const tide::detail::Waiter& w, tide::detail::WaitInfo& info) {
    const auto& self = static_cast<const IoAwaiter&>(w);
    info.what = describe_waiting_op(self, self.loop_->owner.backend_name());
  }
  static void cancelled(tide::detail::Waiter& w) noexcept {
    auto& self = static_cast<IoAwaiter&>(w);
    self.cancelled_ = true;
    self.loop_->io_cancel(self.op());
  }

  tide::detail::LoopCore* loop_ = nullptr;
  bool cancelled_ = false;
};

/// An IoAwaiter whose result is converted to `R`.
template <class R>
class IoResult : public IoAwaiter {
 public:
  using IoAwaiter::IoAwaiter;
  R await_resume() { return static_cast<R>(IoAwaiter::await_resume()); }
};

}  // namespace tide::io::detail
