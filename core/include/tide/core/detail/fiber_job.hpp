#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/fiber_stack.hpp>
#include <tide/core/detail/owned_job.hpp>
#include <tide/core/detail/promise.hpp>
#include <tide/core/detail/stack_switch.hpp>
#include <tide/core/errors.hpp>

namespace tide {

/// How a fibre is created.
struct FiberOptions {
  std::string name;                     // shown in diagnostics: "fibre #12 'name'"
  std::size_t stack_size = 256 * 1024;  // reserved; memory is committed only as touched
  /// A guard page below the stack turns an overflow into a clear report. Each guarded stack
  /// takes two memory mappings (vm.max_map_count, 65,530 by default, allows about 32,000);
  /// unguarded stacks are for larger counts of fibres that are known to stay shallow.
  bool guarded = true;
  /// Where the fibre is spawned, for `Loop::dump`: by default the line these options are
  /// written on.
  SourceSite where = SourceSite::here();
};

}  // namespace tide

namespace tide::detail {

class FiberJob;

/// The fibre running on this thread (null outside fibres).
[[gnu::tls_model("initial-exec")]] extern constinit thread_local FiberJob* t_running_fiber;

/// The coroutine frame that stands for a fibre in the loop's ready queue: resuming it switches
/// to the fibre, and any tide awaiter can park it, schedule it and find the fibre's job through
/// its promise. That is the whole bridge between awaitables and fibres.
struct FiberPromise : PromiseBase {
  struct Trampoline {
    using promise_type = FiberPromise;
    std::coroutine_handle<FiberPromise> frame;
  };
  Trampoline get_return_object() noexcept {
    return {std::coroutine_handle<FiberPromise>::from_promise(*this)};
  }
  void return_void() noexcept {}
};

/// A fibre: a job that runs a function on a stack of its own, scheduled by the loop.
class FiberJob : public OwnedJob {
 public:
  FiberJob(LoopCore& owner, const FiberOptions& options);
  ~FiberJob() override;

  /// Links the job into its loop and queues it to run. If it throws, the job is freed.
  void start();

  /// The fibre running on this thread, or null outside fibres.
  [[nodiscard]] static FiberJob* running() noexcept { return t_running_fiber; }
  /// The running fibre; UsageError naming `what` outside a fibre.
  static FiberJob& require_running(const char* what);

  /// What an awaiter resumes to wake this fibre (see FiberPromise).
  [[nodiscard]] std::coroutine_handle<FiberPromise> handle() const noexcept { return trampoline_; }
  /// From the fibre: hands the thread back to the loop until the fibre is resumed. Throws
  /// FiberExit when the loop is being destroyed and the fibre must unwind.
  /// (Inline, like yield(): every call level between the fibre's code and the switch costs a
  /// mispredicted return when the fibre is switched back in.)
  void suspend() {
    resumer_ = switch_stack(own_state_, resumer_state_, resumer_, nullptr).fctx;
    while (stack_request_ != nullptr)
      [[unlikely]] {  // Loop::dump wants this stack: show it
        record_stack();
        resumer_ = switch_stack(own_state_, resumer_state_, resumer_, nullptr).fctx;
      }
    if (unwinding_) throw FiberExit{};
  }
  /// From the fibre: lets every other ready fibre and task run once (`tide::yield_now()`).
  void yield() {
    if (cancel_pending || loop->closing) [[unlikely]]
      return yield_interrupted();
    loop->schedule(trampoline_, this);
    suspend();
    if (cancel_pending) [[unlikely]]
      return yield_interrupted();
  }
  /// From the fibre, inside `catch (const Cancelled&)`: a cancellation of this fibre becomes
  /// its interrupt (FiberExit for a kill, TimeoutError for a Timeout scope); any other
  /// Cancelled (from awaited work) is rethrown as it is.
  [[noreturn]] void rethrow_cancellation();

  /// Requests the fibre to end with FiberExit at its current or next suspension point.
  void kill() noexcept;
  /// Interrupts the fibre with `error` at its suspension point, unless something else is
  /// already pending (a Timeout scope's expiry; `source` identifies the scope).
  void interrupt(std::exception_ptr error, const void* source) noexcept;
  /// The scope `source` ends: its interrupt, if not yet delivered, is withdrawn.
  void withdraw_interrupt(const void* source) noexcept;

  [[nodiscard]] bool killed() const noexcept;
  /// The return addresses on this suspended fibre's stack, innermost first (Loop::dump): the
  /// loop switches to the fibre, which records its stack and switches straight back, running
  /// none of its own code (from a fibre, it switches back to that fibre). Empty if the fibre is
  /// not suspended, or is the one calling.
  [[nodiscard]] std::vector<void*> stack_trace();
  [[nodiscard]] std::exception_ptr exception() const noexcept override { return error_; }

  void root_finished() noexcept override;
  void destroy_frames() noexcept override;

 protected:
  /// Runs the fibre's function, storing its result. Exceptions leave it.
  virtual void invoke() = 0;

 private:
  static FiberPromise::Trampoline drive(FiberJob& self);
  static void entry(void* transfer_context, FiberJob& self) noexcept;
  void switch_in() noexcept;
  [[noreturn]] void yield_interrupted();
  void run() noexcept;
  void record_stack() noexcept;
  void free_frames() noexcept override;
  void free_stack() noexcept;

  std::coroutine_handle<FiberPromise> trampoline_;
  FiberStack stack_;
  StackAllocator* stacks_ = nullptr;
  void* context_ = nullptr;   // while suspended: where to jump to resume the fibre
  void* resumer_ = nullptr;   // while running: where to jump to suspend it
  StackState own_state_;      // this fibre's stack, while another runs
  StackState resumer_state_;  // the loop's stack, while the fibre runs
  std::exception_ptr error_;
  std::exception_ptr interrupt_;  // what a cancellation of this fibre raises (null: FiberExit)
  const void* interrupt_source_ = nullptr;
  std::uint32_t interrupt_requests_ = 0;  // cancel_requests when the interrupt was raised
  std::uint32_t cancels_delivered_ = 0;
  std::vector<void*>* stack_request_ = nullptr;  // see stack_trace()
  bool started_ = false;
  bool ended_ = false;      // the function returned or threw; the stack is free
  bool unwinding_ = false;  // the loop is being destroyed: suspend() throws FiberExit
  bool killed_ = false;
};

/// A fibre's result: what its handle takes.
template <class T>
class FiberResult : public FiberJob {
 public:
  using FiberJob::FiberJob;

  T take_result() {
    if (std::exception_ptr e = exception()) std::rethrow_exception(e);
    if constexpr (std::is_reference_v<T>)
      return static_cast<T>(**value_);
    else if constexpr (!std::is_void_v<T>)
      return std::move(*value_);
  }

 protected:
  void store(auto&& run) {
    if constexpr (std::is_void_v<T>)
      run();
    else if constexpr (std::is_reference_v<T>)
      value_.emplace(std::addressof(run()));
    else
      value_.emplace(run());
  }

 private:
  using Stored = std::conditional_t<
      std::is_void_v<T>, char,
      std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>>;
  std::optional<Stored> value_;
};

/// A fibre with its function and arguments (stored decayed, like std::thread's).
template <class T, class Fn, class... Args>
class FiberJobOf final : public FiberResult<T> {
 public:
  template <class F, class... A>
  FiberJobOf(LoopCore& owner, const FiberOptions& options, F&& fn, A&&... args)
      : FiberResult<T>(owner, options), fn_(std::forward<F>(fn)), args_(std::forward<A>(args)...) {}

 private:
  void invoke() override {
    this->store([&]() -> T { return std::apply(std::move(fn_), std::move(args_)); });
  }

  Fn fn_;
  std::tuple<Args...> args_;
};

/// See sleep.hpp: the discarded `tide::yield_now()` in a fibre, inline wherever this is seen.
template <class>
void yield_fiber() {
  FiberJob* fibre = t_running_fiber;
  if (fibre == nullptr) [[unlikely]]
    FiberJob::require_running("tide::yield_now() (in a task: co_await tide::yield_now())");
  fibre->yield();
}

}  // namespace tide::detail
