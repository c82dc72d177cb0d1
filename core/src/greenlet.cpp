// Greenlets on Boost.Context's fcontext, switched by tide's one switch function
// (stack_switch.hpp), which also tells ASan and TSan and carries each greenlet's exception
// state.
#include <tide/core/greenlet.hpp>

#include <cxxabi.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <tide/core/detail/fiber_stack.hpp>
#include <tide/core/errors.hpp>

#include <tide/core/detail/stack_switch.hpp>

namespace tide {

using detail::fctx::transfer_t;

namespace detail {
[[gnu::tls_model("initial-exec")]] constinit thread_local Greenlet* t_current_greenlet = nullptr;
}  // namespace detail
using detail::t_current_greenlet;

void Greenlet::State::release_stack() noexcept {
#ifdef TIDE_TSAN
  if (switch_state.tsan_fiber)
    __tsan_destroy_fiber(std::exchange(switch_state.tsan_fiber, nullptr));
#endif
  if (stack.base == nullptr) return;
#ifdef TIDE_ASAN
  __asan_unpoison_memory_region(stack.base, stack.size);  // frames that never returned
#endif
  stacks->deallocate(std::exchange(stack, {}));
  context = nullptr;
}

void Greenlet::State::entry(transfer_t from) noexcept {
  State& self = *t_current_greenlet->state_;
  detail::arrive_on_new_stack(static_cast<State*>(from.data)->switch_state);
  arrived(from);
  State* to = nullptr;
  {  // nothing below may outlive this block: the final switch never returns to destroy it
    std::any result;
    std::exception_ptr error;
    try {
      result = self.fn(self.take<std::any>());
    } catch (const GreenletExit&) {
    } catch (...) {
      error = std::current_exception();
    }
    self.dead = true;
    self.fn = nullptr;
    // The value or error goes to the nearest living ancestor.
    to = nearest_living(self.parent);
    if (error)
      to->put_error(std::move(error));
    else
      to->put(std::move(result));
  }
  t_current_greenlet = to->self;
  detail::switch_stack(self.switch_state, to->switch_state, std::exchange(to->context, nullptr),
                       &self, /*ending=*/true);
  __builtin_unreachable();  // a dead greenlet is never switched to again
}

Greenlet::Greenlet(MainTag) : state_(std::make_unique<State>()) {
  state_->self = this;
  state_->started = true;
#ifdef TIDE_TSAN
  state_->switch_state.tsan_fiber = __tsan_get_current_fiber();
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
  if (!s.started || s.dead || s.self == t_current_greenlet) return;
  // Unwind its stack: GreenletExit at its suspension point, then back here.
  s.parent = &current();
  try {
    throw_in(std::make_exception_ptr(GreenletExit{}));
  } catch (...) {
    // An exception other than GreenletExit escaped while unwinding: nowhere to report it.
  }
}

void Greenlet::State::drop() {
  if (sent_type == &detail::sent_error) rethrow();
  sent_type = nullptr;
  value.reset();
}

std::any Greenlet::State::take_any_slow() {
  if (sent_type == &detail::sent_error) rethrow();
  if (sent_type == &detail::sent_any) {
    sent_type = nullptr;
    return std::exchange(value, {});
  }
  if (sent_type->box == nullptr) mismatch(typeid(std::any));
  return std::exchange(sent_type, nullptr)->box(sent);
}

void Greenlet::State::rethrow() {
  sent_type = nullptr;
  std::rethrow_exception(std::exchange(error, nullptr));
}

namespace {

std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace

void Greenlet::State::mismatch(const std::type_info& wanted) {
  std::string got = "no value";
  if (sent_type == &detail::sent_any)
    got = "a " + type_name(value.type()) + " in a std::any";
  else if (sent_type != nullptr)
    got = "a " + type_name(*sent_type->type);
  sent_type = nullptr;
  value.reset();
  throw UsageError("tide::Greenlet::switch_to<" + type_name(wanted) + ">: greenlet " +
                   std::to_string(id) + " was switched to with " + got +
                   " (a typed switch takes back exactly the type it names)");
}

Greenlet& Greenlet::make_main() {
  thread_local std::unique_ptr<Greenlet> main(new Greenlet(MainTag{}));
  t_current_greenlet = main.get();
  return *main;
}

Greenlet* Greenlet::prepare_switch() {
  Greenlet& current = Greenlet::current();
  State& to = *state_;
  if (to.dead) throw UsageError("tide::Greenlet::switch_to: the greenlet is dead");
  if (&current == this) return nullptr;
  if (to.started && to.context == nullptr)  // started, not dead, not current: it runs elsewhere
    throw UsageError("tide::Greenlet::switch_to: the greenlet is running on another thread");
  if (!to.started) {
    to.stacks = &detail::thread_stack_pool(to.requested_stack, true);
    to.stack = to.stacks->allocate();
    to.switch_state.stack = &to.stack;
    to.switch_state.id = to.id;
    to.switch_state.bottom = to.stack.base;
    to.switch_state.size = to.stack.size;
    to.context = detail::fctx::make_fcontext(to.stack.top(), to.stack.size, &State::entry);
    to.started = true;
#ifdef TIDE_TSAN
    to.switch_state.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
  return &current;
}

std::any Greenlet::throw_in(std::exception_ptr error) {
  State& to = *state_;
  if (!to.started) {
    // Dies without running; the error goes to its parent as if it had thrown it.
    to.started = to.dead = true;
    to.fn = nullptr;
    State* parent = State::nearest_living(to.parent);
    if (parent->self == &current()) std::rethrow_exception(error);
    parent->put_error(error);
    return parent->self->switch_to();
  }
  if (to.dead) throw UsageError("tide::Greenlet::throw_in: the greenlet is dead");
  return switch_with<std::any>([&](State& target) { target.put_error(std::move(error)); });
}

}  // namespace tide
