#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <typeinfo>
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
/// Values travel in a std::any; the typed switch `switch_to<Back>(v)` passes and receives them
/// without one, and `switch_to<void>()`, which passes nothing either way, is the bare switch.
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
  /// The typed switch: switches to this greenlet passing `value` (the second form: nothing)
  /// and returns what the next switch back to the caller passes, as a `Back`; `Back = void`
  /// takes nothing back and drops whatever comes. When both ends are typed no std::any is made:
  /// the receiver moves the value straight out of the sender's frame (the sender stays
  /// suspended until then). The forms mix: a greenlet waiting in `switch_to(std::any)`, or
  /// starting with `fn(std::any)`, gets a typed value in a std::any, and a typed switch takes a
  /// `Back` out of a std::any that holds one (from `switch_to(v)` or a returning `fn`). `Back`
  /// must be the exact type sent, as for std::any_cast: another type, or no value, throws
  /// UsageError naming both, and the value is dropped. Move-only values can be sent only to a
  /// typed switch (std::any cannot hold them: UsageError at the receiver otherwise). Exceptions
  /// (`throw_in`, one escaping a child) are rethrown as by `switch_to(std::any)`, and the same
  /// UsageErrors apply.
  ///
  ///     tide::Greenlet sum([](std::any first) {
  ///       int total = std::any_cast<int>(first);
  ///       for (;;) total += tide::Greenlet::current().parent()->switch_to<int>(total);
  ///     });
  ///     sum.switch_to<int>(1);   // 1
  ///     sum.switch_to<int>(2);   // 3
  template <class Back>
  Back switch_to();
  template <class Back, class T>
  Back switch_to(T value);
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
  /// Makes this thread's main greenlet the current one (the first `current()`).
  static Greenlet& make_main();
  /// Every switch: `fill` puts what is passed into the target's State, then the switch, then
  /// the caller takes what came back as a `Back`.
  template <class Back, class Fill>
  Back switch_with(Fill fill);
  /// The cases off a switch's fast path: no greenlet current yet, a target not started (its
  /// stack is set up here), current, dead or running on another thread (UsageError). Returns the
  /// current greenlet, or null when the target is the current greenlet (the switch then only hands
  /// over).
  Greenlet* prepare_switch();
  friend struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tide

namespace tide {

namespace detail {
/// The greenlet running on this thread (null before the first `Greenlet::current()`).
/// `constinit`: no initialisation check (a call to the TLS wrapper) on each access.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local Greenlet* t_current_greenlet;

/// Names the type of a value sent by a typed switch, and puts it in a std::any for a receiver
/// that wants one (`box` is null for a type std::any cannot hold: move-only ones).
struct SentType {
  const std::type_info* type;
  std::any (*box)(void* value);
};
template <class T>
constexpr std::any (*box_for())(void*) {
  if constexpr (std::is_copy_constructible_v<T>)
    return [](void* value) { return std::any(std::move(*static_cast<T*>(value))); };
  else
    return nullptr;
}
/// One per type: a typed receiver compares addresses first (equal types can still have two
/// of these across shared libraries, so a mismatch then compares the type_info).
template <class T>
inline constexpr SentType sent_type_of{&typeid(T), box_for<T>()};
/// What else a switch can carry: a std::any (in State::value), an exception (State::error).
inline constexpr SentType sent_any{&typeid(std::any), nullptr};
inline constexpr SentType sent_error{nullptr, nullptr};
}  // namespace detail

/// A greenlet's insides: here so that the switch can be inline in the caller (every call
/// level between the caller and the switch costs a mispredicted return after it).
struct Greenlet::State {
  // Where to jump to resume it while it is suspended; null while it is not started, running
  // or dead, so that a switch's fast path tests this one field.
  void* context = nullptr;
  bool started = false;
  bool dead = false;
  // What the switch into this greenlet carries, put there by the switching side and taken by
  // this greenlet as soon as it runs again, so that `sent_type` is null while it runs (and
  // while it waits with nothing sent): then the receiving side tests only that. Otherwise it
  // says what came: `sent_any`, the std::any in `value`; `sent_error`, the exception in
  // `error`, rethrown here (`throw_in`, a child's exception); any other, a value of that type
  // at `sent`, in the frame of the sender (which stays suspended until this greenlet
  // switches away again).
  const detail::SentType* sent_type = nullptr;
  void* sent = nullptr;
  std::any value;
  std::exception_ptr error;
  detail::StackState switch_state;  // its sanitizer and exception state while suspended
  Greenlet* self = nullptr;
  Greenlet* parent = nullptr;
  Function fn;
  std::size_t requested_stack = 0;
  detail::FiberStack stack;  // empty for a thread's main greenlet
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

  void put(std::any&& v) noexcept {
    if (v.has_value()) {  // nothing: nothing to put
      value = std::move(v);
      sent_type = &detail::sent_any;
    }
  }
  void put_error(std::exception_ptr e) noexcept {
    error = std::move(e);
    sent_type = &detail::sent_error;
  }
  template <class T>
  void put_typed(T& v) noexcept {
    sent = &v;
    sent_type = &detail::sent_type_of<T>;
  }

  /// Takes what the switch into this greenlet carried, as the receiving switch wants it;
  /// rethrows an error. Everything is empty afterwards.
  template <class Back>
  Back take() {
    if constexpr (std::is_void_v<Back>) {
      if (sent_type != nullptr) [[unlikely]]
        drop();
    } else if constexpr (std::is_same_v<Back, std::any>) {
      if (sent_type != nullptr) [[unlikely]]
        return take_any_slow();
      return {};
    } else {
      if (sent_type == &detail::sent_type_of<Back>) [[likely]] {
        sent_type = nullptr;
        return std::move(*static_cast<Back*>(sent));
      }
      return take_slow<Back>();
    }
  }
  template <class Back>
  Back take_slow() {
    if (sent_type == &detail::sent_error) rethrow();
    if (sent_type == &detail::sent_any) {
      if (Back* v = std::any_cast<Back>(&value)) {
        Back result = std::move(*v);
        sent_type = nullptr;
        value.reset();
        return result;
      }
    } else if (sent_type != nullptr && *sent_type->type == typeid(Back)) {
      sent_type = nullptr;
      return std::move(*static_cast<Back*>(sent));
    }
    mismatch(typeid(Back));
  }
  /// For a switch that takes nothing back: drops a value, rethrows an error.
  void drop();
  std::any take_any_slow();
  [[noreturn]] void rethrow();
  [[noreturn]] void mismatch(const std::type_info& wanted);
};

template <class Back, class Fill>
[[gnu::always_inline]] inline Back Greenlet::switch_with(Fill fill) {
  Greenlet* current = detail::t_current_greenlet;
  State& to = *state_;
  if (current == nullptr || to.context == nullptr) [[unlikely]] {
    current = prepare_switch();
    if (current == nullptr) {  // to itself: what it passes is what it gets
      fill(to);
      return to.template take<Back>();
    }
  }
  State& here = *current->state_;
  fill(to);
  detail::t_current_greenlet = this;
  void* target = std::exchange(to.context, nullptr);
  State::arrived(detail::switch_stack(here.switch_state, to.switch_state, target, &here));
  return here.template take<Back>();
}

// Forced inline, like switch_with: a call level left between the caller and the switch costs a
// mispredicted return on every switch (the any form grew past g++'s inlining limit).
[[gnu::always_inline]] inline std::any Greenlet::switch_to(std::any value) {
  return switch_with<std::any>([&](State& to) { to.put(std::move(value)); });
}

template <class Back>
[[gnu::always_inline]] inline Back Greenlet::switch_to() {
  static_assert(!std::is_reference_v<Back>,
                "tide::Greenlet::switch_to<Back>: Back is a value type");
  return switch_with<Back>([](State&) {});
}

template <class Back, class T>
[[gnu::always_inline]] inline Back Greenlet::switch_to(T value) {
  static_assert(!std::is_reference_v<Back>,
                "tide::Greenlet::switch_to<Back>: Back is a value type");
  static_assert(std::is_same_v<T, std::decay_t<T>>,
                "tide::Greenlet::switch_to<Back, T>: T is sent by value (no reference, no const)");
  if constexpr (std::is_same_v<T, std::any>)
    return switch_with<Back>([&](State& to) { to.put(std::move(value)); });
  else
    return switch_with<Back>([&](State& to) { to.put_typed(value); });
}

inline Greenlet& Greenlet::current() {
  if (Greenlet* g = detail::t_current_greenlet) [[likely]]
    return *g;
  return make_main();
}

inline bool Greenlet::started() const noexcept {
  return state_->started;
}
inline bool Greenlet::dead() const noexcept {
  return state_->dead;
}
inline Greenlet* Greenlet::parent() const noexcept {
  return state_->parent;
}

}  // namespace tide
