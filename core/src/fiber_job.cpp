// Fibres: a function on a stack of its own, switched in by the loop through a one-frame
// trampoline coroutine (see FiberPromise) and switched out whenever it waits.
#include <tide/core/detail/fiber_job.hpp>

#include <utility>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>

#include <tide/core/detail/stack_switch.hpp>

#include "core/src/symbolize.hpp"

namespace tide::detail {

[[gnu::tls_model("initial-exec")]] constinit thread_local FiberJob* t_running_fiber = nullptr;

void forget_running_fiber_after_fork() noexcept {
  t_running_fiber = nullptr;
}

FiberJob::FiberJob(LoopCore& owner, const FiberOptions& options) : OwnedJob(owner) {
  kind = "fibre";
  name = options.name;
  where = options.where;
  stacks_ = &thread_stack_pool(options.stack_size, options.guarded);
  stack_ = stacks_->allocate();  // fails naming vm.max_map_count rather than drop the guard
  own_state_.stack = &stack_;
  own_state_.bottom = stack_.base;
  own_state_.size = stack_.size;
  context_ = fctx::make_fcontext(stack_.top(), stack_.size, [](fctx::transfer_t t) {
    entry(t.fctx, *static_cast<FiberJob*>(t.data));
  });
}

FiberJob::~FiberJob() {
  free_stack();
}

FiberJob& FiberJob::require_running(const char* what) {
  if (t_running_fiber == nullptr)
    throw UsageError(std::string(what) +
                     ": not inside a fibre (start one with tide::spawn_fiber; in a task, use "
                     "co_await)");
  return *t_running_fiber;
}

void FiberJob::start() {
  try {
    trampoline_ = drive(*this).frame;
  } catch (...) {
    free_frames();  // not started: the stack goes with the job
    delete this;
    throw;
  }
  trampoline_.promise().started = true;
  launch(trampoline_.promise(), trampoline_, "tide::spawn_fiber");
}

// Inlined into drive(): each call level between the loop and the switch costs a
// mispredicted return when the fibre switches back.
[[gnu::always_inline]] inline void FiberJob::switch_in() noexcept {
  if (!started_) {
    started_ = true;
    own_state_.id = id;  // for the overflow report (the id is given when the loop adopts it)
    if (cancel_pending) {
      // Killed before it ever ran: it never does (as a greenlet killed before it starts).
      cancel_pending = false;
      killed_ = true;
      try {
        error_ = std::make_exception_ptr(FiberExit{});
      } catch (...) {
        error_ = std::current_exception();
      }
      ended_ = true;
      free_stack();
      return;
    }
#ifdef TIDE_TSAN
    own_state_.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
#ifdef TIDE_TSAN
  resumer_state_.tsan_fiber = __tsan_get_current_fiber();
#endif
  FiberJob* outer = std::exchange(t_running_fiber, this);
  context_ = switch_stack(resumer_state_, own_state_, context_, this).fctx;
  t_running_fiber = outer;
  if (ended_) {
#ifdef TIDE_TSAN
    __tsan_destroy_fiber(std::exchange(own_state_.tsan_fiber, nullptr));
#endif
    free_stack();
  }
}

FiberPromise::Trampoline FiberJob::drive(FiberJob& self) {
  for (;;) {
    self.switch_in();
    if (self.ended_) co_return;  // final suspend: root_finished()
    co_await std::suspend_always{};
  }
}

void FiberJob::entry(void* resumer, FiberJob& self) noexcept {
  self.resumer_ = resumer;
  arrive_on_new_stack(self.resumer_state_);
  self.run();
  self.ended_ = true;
  switch_stack(self.own_state_, self.resumer_state_, self.resumer_, nullptr, /*ending=*/true);
  __builtin_unreachable();  // an ended fibre is never switched to again
}

void FiberJob::run() noexcept {
  try {
    invoke();
  } catch (const FiberExit&) {
    // Killed: unless the FiberExit came from elsewhere (joining a killed fibre) and nobody
    // ever asked this one to stop.
    killed_ = cancel_requests > 0;
    error_ = std::current_exception();
  } catch (...) {
    error_ = std::current_exception();
  }
}

// For code that yields a fibre without having seen fiber_job.hpp (see sleep.hpp).
template void yield_fiber<void>();

void FiberJob::yield_interrupted() {
  try {
    if (loop->closing && !cancel_pending)
      throw LoopClosed("tide::yield_now: the loop of " + describe() + " is being destroyed");
    throw_cancelled();
  } catch (const Cancelled&) {
    rethrow_cancellation();
  }
}

void FiberJob::rethrow_cancellation() {
  if (cancel_requests == cancels_delivered_) throw;  // not this fibre's: from awaited work
  cancels_delivered_ = cancel_requests;
  cancel_pending = false;
  interrupt_source_ = nullptr;
  if (std::exception_ptr error = std::exchange(interrupt_, nullptr)) std::rethrow_exception(error);
  throw FiberExit{};
}

void FiberJob::kill() noexcept {
  if (ended_ || finished) return;
  interrupt_ = nullptr;  // a kill wins over a pending timeout
  interrupt_source_ = nullptr;
  request_cancel();
}

void FiberJob::interrupt(std::exception_ptr error, const void* source) noexcept {
  if (ended_ || finished || cancel_requests != cancels_delivered_) return;  // one at a time
  interrupt_ = std::move(error);
  interrupt_source_ = source;
  request_cancel();
  interrupt_requests_ = cancel_requests;
}

void FiberJob::withdraw_interrupt(const void* source) noexcept {
  if (interrupt_source_ != source || source == nullptr) return;
  interrupt_ = nullptr;
  interrupt_source_ = nullptr;
  if (cancel_requests == interrupt_requests_) {  // nothing else asked meanwhile: forget it
    cancel_pending = false;
    cancels_delivered_ = cancel_requests;
  }
}

bool FiberJob::killed() const noexcept {
  return killed_;
}

std::vector<void*> FiberJob::stack_trace() {
  std::vector<void*> pcs(64);
  FiberJob* here = t_running_fiber;
  if (!started_ || ended_ || finished || here == this) return {};
  // From another fibre's stack (a dump made in a fibre): this fibre switches back there, not
  // to the loop's stack, so for the round trip its resumer is that stack (ASan's bounds, the
  // overflow reporter's stack; TSan's fibre is taken in switch_in).
  const StackState resumer = resumer_state_;
  if (here != nullptr) {
    resumer_state_.bottom = here->own_state_.bottom;
    resumer_state_.size = here->own_state_.size;
    resumer_state_.stack = here->own_state_.stack;
    resumer_state_.id = here->own_state_.id;
  }
  stack_request_ = &pcs;
  switch_in();
  resumer_state_ = resumer;
  return pcs;
}

void FiberJob::record_stack() noexcept {
  std::vector<void*>& pcs = *std::exchange(stack_request_, nullptr);
  // Skip this function and suspend(): the stack shown starts where the fibre waits.
  pcs.resize(capture_stack(pcs.data(), pcs.size(), 1));
}

void FiberJob::root_finished() noexcept {
  finish();
}

void FiberJob::destroy_frames() noexcept {
  // The loop is going away: a suspended fibre unwinds (FiberExit at its suspension point, and
  // any wait it tries meanwhile fails with LoopClosed), so its destructors run.
  if (started_ && !ended_) {
    unwinding_ = true;
    waiting = nullptr;
    switch_in();
  }
  free_frames();
  torn_down();
}

void FiberJob::free_frames() noexcept {
  if (trampoline_) std::exchange(trampoline_, {}).destroy();
  free_stack();
}

void FiberJob::free_stack() noexcept {
  if (stack_.base == nullptr) return;
#ifdef TIDE_ASAN
  // Frames that never returned (the entry's) leave poisoned red zones behind.
  __asan_unpoison_memory_region(stack_.base, stack_.size);
#endif
  stacks_->deallocate(std::exchange(stack_, {}));
}

}  // namespace tide::detail
