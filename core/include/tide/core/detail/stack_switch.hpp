// The one way tide moves a thread from one stack to another (greenlets and fibres alike):
// around the raw Boost.Context jump it tells ASan and TSan that the stack changes (Debian's
// Boost.Context is built for fcontext, which does neither), moves the thread's C++ exception
// state with the code that owns it, and points the overflow reporter at the new stack.
#pragma once

#include <boost/context/detail/fcontext.hpp>

#include <cxxabi.h>

#include <cstddef>
#include <cstdint>

#include <tide/core/detail/fiber_stack.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define TIDE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIDE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TIDE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TIDE_TSAN 1
#endif
#endif
#ifdef TIDE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef TIDE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace tide::detail {

namespace fctx = boost::context::detail;

// libstdc++'s and libc++abi's layout of the per-thread exception globals.
struct ExceptionGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// Fetched once per thread: the runtime's own accessor goes through __tls_get_addr.
[[gnu::tls_model("initial-exec")]] inline thread_local ExceptionGlobals* t_exception_globals =
    nullptr;

inline ExceptionGlobals& exception_globals() noexcept {
  ExceptionGlobals* g = t_exception_globals;
  if (g == nullptr) [[unlikely]]
    g = t_exception_globals = reinterpret_cast<ExceptionGlobals*>(abi::__cxa_get_globals());
  return *g;
}

/// Jumps from the stack described by `from` to `to` (resuming `target`), and returns what the
/// jump back brings. `ending`: `from` never runs again (its sanitizer state may go).
/// `came_back_from`, if given, learns the bounds of the stack that jumps back (ASan).
[[gnu::always_inline]] inline fctx::transfer_t switch_stack(StackState& from, StackState& to,
                                                            fctx::fcontext_t target, void* data,
                                                            bool ending = false) noexcept {
  ExceptionGlobals& eh = exception_globals();
  from.caught_exceptions = eh.caught_exceptions;
  from.uncaught_exceptions = eh.uncaught_exceptions;
  eh.caught_exceptions = to.caught_exceptions;
  eh.uncaught_exceptions = to.uncaught_exceptions;
  t_running_stack = to.stack ? &to : nullptr;
#ifdef TIDE_ASAN
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(ending ? nullptr : &fake_stack, to.bottom, to.size);
#endif
#ifdef TIDE_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  (void)ending;
  fctx::transfer_t back = fctx::jump_fcontext(target, data);
#ifdef TIDE_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  return back;
}

/// First thing on a new stack: completes the switch that started it. `caller` (the stack that
/// jumped here) learns its bounds for ASan if it had none yet.
inline void arrive_on_new_stack(StackState& caller) noexcept {
#ifdef TIDE_ASAN
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
  if (caller.bottom == nullptr) {
    caller.bottom = bottom;
    caller.size = size;
  }
#else
  (void)caller;
#endif
}

}  // namespace tide::detail
