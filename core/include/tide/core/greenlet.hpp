#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include <tide/core/detail/fiber_stack.hpp>
#include <tide/core/detail/stack_switch.hpp>

namespace tide {

/// Thrown into a greenlet that is destroyed while suspended, so its stack unwinds (its
/// destructors run) before the stack goes away. Not a std::exception, like Cancelled: code
/// that catches std::exception does not swallow it. A greenlet that lets it escape ends
/// normally.
struct GreenletExit {};

/// A stackful coroutine switched explicitly, like Python's greenlet: no loop, no scheduler.
///
///     tide::Greenlet* gr2 = nullptr;
///     tide::Greenlet gr1([&](std::any) -> std::any {
///       print(12); gr2->switch_to(); print(34); gr2->switch_to(); return {};
///     });
///     tide::Greenlet g2([&](std::any) -> std::any {
///       print(56); gr1.switch_to(); print(78); return {};
///     });
///     gr2 = &g2;
///     gr1.switch_to();   // prints 12 56 34 78
///
/// `switch_to(v)` runs the target until it switches elsewhere: a greenlet not started yet
/// begins with `fn(v)`; a suspended one sees its own pending `switch_to` return `v`. When `fn`
/// returns, its value goes to the parent (the greenlet that was current at construction, or
/// the one given); an exception escaping `fn` is rethrown in the parent. Each thread has an
/// implicit main greenlet (`current()` before any switch).
/// Stacks: guarded, lazily committed (see detail/fiber_stack.hpp); `stack_size` bytes.
/// Thread safety: a greenlet belongs to the thread that created it.
/// With a loop, use fibres (`spawn_fiber`), which the loop schedules. Greenlets switched
/// explicitly inside a fibre must be back in the fibre before it waits (`tide::await`).
/// Each greenlet keeps its own C++ exception state across switches (a `throw;` in a catch
/// block rethrows its own exception after any number of switches).
class Greenlet {
 public:
  using Function = std::function<std::any(std::any)>;
  static constexpr std::size_t default_stack_size = 256 * 1024;

  /// `parent` null: the current greenlet. `fn` takes the first switch's value (or nothing)
  /// and returns the value for the parent (or nothing): `[](std::any v) -> std::any`,
  /// `[] { ... }`, ...
  explicit Greenlet(Function fn, Greenlet* parent = nullptr,
                    std::size_t stack_size = default_stack_size);
  template <class Fn>
  requires(
      !std::is_convertible_v<Fn, Function> &&
      (std::is_invocable_v<Fn&, std::any> ||
       std::is_invocable_v<Fn&>)) explicit Greenlet(Fn fn, Greenlet* parent = nullptr,
                                                    std::size_t stack_size = default_stack_size)
      : Greenlet(adapt(std::move(fn)), parent, stack_size) {}
  Greenlet(const Greenlet&) = delete;
  Greenlet& operator=(const Greenlet&) = delete;
  /// A suspended greenlet gets GreenletExit thrown in and runs until it ends.
  ~Greenlet();

  /// Switches to this greenlet passing `value`; returns what the next switch back to the
  /// caller passes. Throws UsageError for a dead greenlet or one of another thread.
  std::any switch_to(std::any value = {});
  /// Switches to this greenlet raising `error` at its suspension point (an unstarted one dies
  /// at once and the error goes to its parent, as in Python).
  std::any throw_in(std::exception_ptr error);
  /// The same with an exception object: `g.throw_in(std::runtime_error("stop"))`.
  template <class E>
  requires(!std::is_convertible_v<E, std::exception_ptr>) std::any throw_in(E error) {
    return throw_in(std::make_exception_ptr(std::move(error)));
  }

  [[nodiscard]] bool started() const noexcept;
  [[nodiscard]] bool dead() const noexcept;
  [[nodiscard]] Greenlet* parent() const noexcept;
  /// The greenlet running on this thread (its main greenlet before any switch).
  [[nodiscard]] static Greenlet& current();

  struct State;

 private:
  template <class Fn>
  static Function adapt(Fn fn) {
    return [fn = std::move(fn)](std::any value) mutable -> std::any {
      if constexpr (std::is_invocable_v<Fn&, std::any>) {
        if constexpr (std::is_void_v<std::invoke_result_t<Fn&, std::any>>) {
          fn(std::move(value));
          return {};
        } else {
          return fn(std::move(value));
        }
      } else if constexpr (std::is_void_v<std::invoke_result_t<Fn&>>) {
        fn();
        return {};
      } else {
        return fn();
      }
    };
  }

  struct MainTag {};
  explicit Greenlet(MainTag);
  /// switch_to for the cases off the fast path: first switch, dead, self, errors.
  std::any switch_slow(std::any value);
  friend struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tide

namespace tide {

namespace detail {
/// The greenlet running on this thread (null before the first `Greenlet::current()`).
[[gnu::tls_model("initial-exec")]] extern thread_local Greenlet* t_current_greenlet;
}  // namespace detail

/// A greenlet's insides: here so that the switch can be inline in the caller (every call
/// level between the caller and the switch costs a mispredicted return after it).
struct Greenlet::State {
  Greenlet* self = nullptr;
  Function fn;
  Greenlet* parent = nullptr;
  void* context = nullptr;  // where to jump to resume it, while it is suspended
  std::size_t requested_stack = 0;
  bool started = false;
  bool dead = false;
  // What the switch into this greenlet carries.
  std::any value;
  std::exception_ptr error;
  detail::StackState switch_state;  // its sanitizer and exception state while suspended
  detail::FiberStack stack;         // empty for a thread's main greenlet
  detail::StackAllocator* stacks = nullptr;
  std::uint64_t id = 0;

  void release_stack() noexcept;
  static void entry(detail::fctx::transfer_t from) noexcept;
  /// Just switched to from `from.data` (a State), which can be resumed at `from.fctx`.
  static void arrived(detail::fctx::transfer_t from) noexcept {
    auto* left = static_cast<State*>(from.data);
    left->context = from.fctx;
    if (left->dead) [[unlikely]]
      left->release_stack();  // it ended: nothing runs on its stack any more
  }
  static State* nearest_living(Greenlet* g) noexcept {
    State* s = g->state_.get();
    while (s->dead)
      s = s->parent->state_.get();
    return s;
  }
};

inline std::any Greenlet::switch_to(std::any value) {
  Greenlet* current = detail::t_current_greenlet;
  State& to = *state_;
  if (current == nullptr || !to.started || to.dead || current == this) [[unlikely]]
    return switch_slow(std::move(value));
  State& here = *current->state_;
  to.value = std::move(value);
  detail::t_current_greenlet = this;
  State::arrived(detail::switch_stack(here.switch_state, to.switch_state, to.context, &here));
  if (here.error) [[unlikely]]
    std::rethrow_exception(std::exchange(here.error, nullptr));
  return std::exchange(here.value, {});
}

}  // namespace tide
