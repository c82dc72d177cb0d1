#include <tide/core/detail/owned_job.hpp>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>

namespace tide::detail {

void OwnedJob::watch(JoinWatcher& w) noexcept {
  watchers_.push_back(w);
}

void OwnedJob::unwatch(JoinWatcher& w) noexcept {
  watchers_.remove(w);
}

bool OwnedJob::ended_cancelled() const noexcept {
  std::exception_ptr error = exception();
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const Cancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}

void OwnedJob::launch(PromiseBase& promise, std::coroutine_handle<> frame, const char* what) {
  try {
    loop->check_thread(what);
    promise.job = this;
    loop->adopt(*this);
    try {
      loop->schedule(frame, this);
    } catch (...) {
      loop->release(*this);
      throw;
    }
  } catch (...) {
    // Never started: nobody else knows this job, so it goes now, with what it holds.
    free_frames();
    delete this;
    throw;
  }
}

void OwnedJob::finish() noexcept {
  finished = true;
  waiting = nullptr;
  loop->release(*this);
  // Only work asked to stop can have ended cancelled: the exception is looked at only then.
  loop->count_finished(*this, cancel_requests > 0 && ended_cancelled());
  // A watcher may drop the handle: the job is freed below, not inside the watcher.
  notifying_ = true;
  while (JoinWatcher* w = watchers_.pop_front())
    w->on_finished(*w);
  notifying_ = false;
  if (!has_handle_) free_if_unowned();
}

void OwnedJob::torn_down() noexcept {
  frame_destroyed = true;
  waiting = nullptr;
  if (!has_handle_) delete this;
}

void OwnedJob::drop_handle(bool cancel) noexcept {
  has_handle_ = false;
  if (notifying_) return;  // finish() frees it once the watchers are told
  if (finished) {
    free_if_unowned();
  } else if (frame_destroyed) {
    delete this;
  } else if (cancel) {
    request_cancel();
  }
}

void OwnedJob::free_if_unowned() noexcept {
  // Nobody will ever look at the outcome: an exception (other than a cancellation, which is
  // how unowned work is expected to end) must not vanish silently.
  if (!result_taken && exception() && !ended_cancelled())
    loop->report_unhandled(exception(), *this);
  free_frames();
  delete this;
}

}  // namespace tide::detail
