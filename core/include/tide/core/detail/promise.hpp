#pragma once

#include <concepts>
#include <coroutine>
#include <exception>

#include <tide/core/detail/frame_allocator.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>

namespace tide::detail {

/// What every tide coroutine promise carries: the job it runs in (so a leaf awaiter can park
/// and cancellation can find it), who awaits it, and how it ended.
struct PromiseBase {
  std::coroutine_handle<> continuation;  // the awaiting coroutine; null for a job's root
  Job* job = nullptr;                    // set when the frame is started
  // The task this one awaits right now, and its frame (Loop::dump's await chain, root to
  // leaf); null while it awaits no task.
  PromiseBase* inner = nullptr;
  void* inner_frame = nullptr;
  std::exception_ptr exception;  // set if the body threw
  bool started = false;          // awaited or spawned once already

  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    deallocate_frame(frame, size);
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> self) noexcept {
      PromiseBase& p = self.promise();
      if (p.continuation) {
        LoopCore::resume_next(p.continuation);
      } else {
        // A job's root finished. This may destroy the frame (a detached task), which is
        // allowed here: the coroutine is suspended, and nothing below touches it again.
        p.job->root_finished();
      }
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

/// The promise types whose awaiters know their job: tide tasks (and fibres' bridges).
template <class P>
concept TidePromise = std::derived_from<P, PromiseBase>;

}  // namespace tide::detail
