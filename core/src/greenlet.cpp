// Greenlets on boost::context::fiber (fcontext). Every switch goes through `State::enter`,
// which also tells ASan and TSan that the stack changes: Debian's Boost.Context is built for
// fcontext, which does neither.
#include <tide/core/greenlet.hpp>

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <utility>

#include <tide/core/detail/fiber_stack.hpp>
#include <tide/core/errors.hpp>

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
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef TIDE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace tide {

namespace ctx = boost::context;

struct Greenlet::State {
  Greenlet* self = nullptr;
  Function fn;
  Greenlet* parent = nullptr;
  ctx::fiber context;  // how to resume it, while it is suspended
  std::size_t requested_stack = 0;
  bool started = false;
  bool dead = false;
  // What the switch into this greenlet carries.
  std::any value;
  std::exception_ptr error;
  // For the sanitizers: the stack's bounds (the main greenlet's are learnt when it is first
  // left) and TSan's fibre.
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  detail::FiberStack stack;  // empty for a thread's main greenlet
  std::uint64_t id = 0;
  void* tsan_fiber = nullptr;

  void enter(State& to);
  static ctx::fiber run(State& self, ctx::fiber&& caller);
  static void arrived(ctx::fiber&& left);
};

namespace {

// initial-exec: tide is linked into programs (static library), and the default model for PIC
// code makes every access a call to __tls_get_addr, a large share of a switch.
[[gnu::tls_model("initial-exec")]] thread_local Greenlet* t_current = nullptr;
// The greenlet that switched last.
[[gnu::tls_model("initial-exec")]] thread_local Greenlet::State* t_from = nullptr;

// Boost.Context's stack-allocator concept over tide's allocator.
struct BoostStack {
  detail::StackAllocator* pool;
  Greenlet::State* state;
  ctx::stack_context allocate() {
    detail::FiberStack s = pool->allocate();
    state->stack = s;
    state->stack_bottom = s.base;
    state->stack_size = s.size;
    ctx::stack_context sc;
    sc.size = s.size;
    sc.sp = s.top();
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept {
    detail::FiberStack s;
    s.size = sc.size;
    s.base = static_cast<char*>(sc.sp) - sc.size;
    s.guard = pool->guarded() ? static_cast<std::size_t>(::getpagesize()) : 0;
    pool->deallocate(s);
  }
};

void start_switch(void** fake_stack, const Greenlet::State& to) {
  detail::watch_stack(to.stack.base ? &to.stack : nullptr, to.id);
#ifdef TIDE_ASAN
  __sanitizer_start_switch_fiber(fake_stack, to.stack_bottom, to.stack_size);
#else
  (void)fake_stack;
#endif
#ifdef TIDE_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#else
  (void)to;
#endif
}

void finish_switch(void* fake_stack) {
#ifdef TIDE_ASAN
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  if (t_from && t_from->stack_bottom == nullptr) {  // the main stack, first left
    t_from->stack_bottom = bottom;
    t_from->stack_size = size;
  }
#else
  (void)fake_stack;
#endif
}

}  // namespace

// The current greenlet (`this`) hands the thread to `to`; returns once switched back to.
[[gnu::always_inline]] inline void Greenlet::State::enter(State& to) {
  t_from = this;
  t_current = to.self;
  void* fake_stack = nullptr;
  start_switch(&fake_stack, to);
  ctx::fiber left = std::move(to.context).resume();
  finish_switch(fake_stack);
  arrived(std::move(left));
}

// Just switched to: `left` is how to resume the greenlet that switched here.
void Greenlet::State::arrived(ctx::fiber&& left) {
  State* from = t_from;
  if (from == nullptr) return;
  from->context = std::move(left);
#ifdef TIDE_TSAN
  if (from->dead && from->tsan_fiber) {
    __tsan_destroy_fiber(from->tsan_fiber);
    from->tsan_fiber = nullptr;
  }
#endif
}

ctx::fiber Greenlet::State::run(State& self, ctx::fiber&& caller) {
  finish_switch(nullptr);
  arrived(std::move(caller));
  std::any result;
  std::exception_ptr error;
  try {
    if (self.error) std::rethrow_exception(std::exchange(self.error, nullptr));
    result = self.fn(std::exchange(self.value, {}));
  } catch (const GreenletExit&) {
  } catch (...) {
    error = std::current_exception();
  }
  self.dead = true;
  self.fn = nullptr;
  // The value or error goes to the nearest living ancestor.
  State* to = self.parent->state_.get();
  while (to->dead)
    to = to->parent->state_.get();
  to->value = std::move(result);
  to->error = error;
  t_from = &self;
  t_current = to->self;
  start_switch(nullptr, *to);  // null: this stack's fake frames die with it
  return std::move(to->context);
}

Greenlet::Greenlet(MainTag) : state_(std::make_unique<State>()) {
  state_->self = this;
  state_->started = true;
#ifdef TIDE_TSAN
  state_->tsan_fiber = __tsan_get_current_fiber();
#endif
}

Greenlet::Greenlet(Function fn, Greenlet* parent, std::size_t stack_size)
    : state_(std::make_unique<State>()) {
  if (!fn) throw UsageError("tide::Greenlet: empty function");
  state_->self = this;
  state_->fn = std::move(fn);
  state_->parent = parent ? parent : &current();
  state_->requested_stack = stack_size;
  static std::atomic<std::uint64_t> next_id{1};
  state_->id = next_id.fetch_add(1, std::memory_order_relaxed);
}

Greenlet::~Greenlet() {
  State& s = *state_;
  if (!s.started || s.dead || s.self == t_current) return;
  // Unwind its stack: GreenletExit at its suspension point, then back here.
  s.parent = &current();
  try {
    throw_in(std::make_exception_ptr(GreenletExit{}));
  } catch (...) {
    // An exception other than GreenletExit escaped while unwinding: nowhere to report it.
  }
}

Greenlet& Greenlet::current() {
  if (t_current == nullptr) {
    thread_local std::unique_ptr<Greenlet> main(new Greenlet(MainTag{}));
    t_current = main.get();
  }
  return *t_current;
}

std::any Greenlet::switch_to(std::any value) {
  State& here = *current().state_;
  State& to = *state_;
  if (to.dead) throw UsageError("tide::Greenlet::switch_to: the greenlet is dead");
  if (&to == &here) return value;
  to.value = std::move(value);
  if (!to.started) {
    to.started = true;
    State* s = &to;
    to.context = ctx::fiber(std::allocator_arg,
                            BoostStack{&detail::thread_stack_pool(to.requested_stack, true), s},
                            [s](ctx::fiber&& caller) { return State::run(*s, std::move(caller)); });
#ifdef TIDE_TSAN
    to.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
  here.enter(to);
  if (here.error) std::rethrow_exception(std::exchange(here.error, nullptr));
  return std::exchange(here.value, {});
}

std::any Greenlet::throw_in(std::exception_ptr error) {
  State& to = *state_;
  if (!to.started) {
    // Dies without running; the error goes to its parent as if it had thrown it.
    to.started = to.dead = true;
    to.fn = nullptr;
    State* parent = to.parent->state_.get();
    while (parent->dead)
      parent = parent->parent->state_.get();
    if (parent->self == &current()) std::rethrow_exception(error);
    parent->error = error;
    return parent->self->switch_to();
  }
  if (to.dead) throw UsageError("tide::Greenlet::throw_in: the greenlet is dead");
  to.error = error;
  return switch_to();
}

bool Greenlet::started() const noexcept {
  return state_->started;
}
bool Greenlet::dead() const noexcept {
  return state_->dead;
}
Greenlet* Greenlet::parent() const noexcept {
  return state_->parent;
}

}  // namespace tide
