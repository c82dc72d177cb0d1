#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/job.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/detail/pool_wire.hpp>

namespace tide::io::detail {

class PoolCore;

/// One call submitted to a ProcessPool, as the loop side keeps it: from `submit` until its
/// answer (or failure) has been delivered to whoever waits for it. Shared between the pool
/// (while queued or in flight) and the caller's PoolFuture. Loop thread only.
class PoolRequest {
 public:
  enum class Stage : std::uint8_t {
    queued,  // in the pool's queue, not yet written to a worker: can be withdrawn
    sent,    // in a worker's in-flight list (its frame written or about to be)
    done,    // the value or error is set (or it was withdrawn); the pool holds it no more
  };

  PoolRequest(Trampoline call, std::uintptr_t address) noexcept
      : trampoline(call), function(address) {}
  PoolRequest(const PoolRequest&) = delete;
  PoolRequest& operator=(const PoolRequest&) = delete;
  virtual ~PoolRequest() = default;

  /// Appends the encoded arguments (once, when the request is written to a worker; the
  /// arguments are released then).
  virtual void encode_args(std::string& out) = 0;
  /// Decodes an `answer_ok` payload into the result (a decoding failure becomes the error).
  virtual void set_value(std::string_view payload) noexcept = 0;

  Trampoline trampoline;
  std::uintptr_t function;
  Stage stage = Stage::queued;
  // Nobody will look at the result (its future was dropped or its awaiter cancelled): an
  // answer is thrown away, and nothing is notified.
  bool abandoned = false;
  std::exception_ptr error;  // set instead of the value when the call failed
  PoolCore* core = nullptr;  // the pool that holds it; null once the pool is gone
  // Who waits: `notify(listener)` is called from the pool's turn once stage is done (an
  // awaiter that schedules its task, or a callback runner).
  void* listener = nullptr;
  void (*notify)(void* listener, PoolRequest& request) noexcept = nullptr;
  // Optional per-task deadline (ProcessPool::submit_with_timeout), measured from submit:
  // armed while not done.
  struct Deadline : tide::detail::TimerNode {
    // User-provided: clang cannot use the member initializers of a nested class inside its
    // enclosing class's definition (std::optional's emplace would find it unconstructible).
    Deadline() noexcept {}  // NOLINT(modernize-use-equals-default)
    PoolRequest* owner = nullptr;
    std::chrono::nanoseconds timeout{};
  };
  std::optional<Deadline> deadline;
  std::uint32_t worker = 0;  // while sent: the slot of the worker that has it
  // Run on the loop once done (apply_async's callbacks, map's and imap_unordered's
  // collectors), whether or not a future still refers to the request. Its exceptions go to the
  // loop's unhandled-exception handler.
  std::function<void(PoolRequest&)> callback;
};

/// Submits, withdraws and abandons requests (io/src/process_pool/pool_core.cpp).
void pool_submit(PoolCore& core, std::shared_ptr<PoolRequest> request);
/// Nobody wants `request` any more: withdrawn if still queued, else its answer is discarded.
void pool_drop(PoolCore& core, PoolRequest& request) noexcept;
/// Withdraws `request` if still queued (stage becomes done, error PoolCancelled); false if it
/// was already sent or done.
bool pool_withdraw(PoolCore& core, PoolRequest& request) noexcept;
/// "ProcessPool call in worker 2 (process 1234)" (Loop::dump).
void describe_pool_wait(const PoolRequest& request, tide::detail::WaitInfo& info);

/// What a result is kept as on the loop side.
template <class R>
using PoolStored = std::conditional_t<std::is_void_v<R>, char, R>;

/// A request whose answer decodes as `R`.
template <class R>
class TypedPoolRequest : public PoolRequest {
 public:
  using PoolRequest::PoolRequest;

  void set_value(std::string_view payload) noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        value.emplace();
      } else {
        R decoded{};
        const std::size_t used = decode_into(payload, decoded);
        if (used != payload.size())
          throw CodecError("tide::ProcessPool: " + std::to_string(payload.size() - used) +
                           " bytes left over after decoding a task's result");
        value.emplace(std::move(decoded));
      }
    } catch (...) {
      error = std::current_exception();
    }
  }

  std::optional<PoolStored<R>> value;
};

/// A request that holds its arguments until they are written to a worker.
template <class R, class Tuple>
class BoundPoolRequest final : public TypedPoolRequest<R> {
 public:
  BoundPoolRequest(Trampoline call, std::uintptr_t address, Tuple args)
      : TypedPoolRequest<R>(call, address), args_(std::move(args)) {}

  void encode_args(std::string& out) override {
    if constexpr (std::tuple_size_v < Tuple >> 0)
      std::apply([&](const auto&... a) { encode_append(out, a...); }, *args_);
    args_.reset();
  }

 private:
  std::optional<Tuple> args_;
};

/// Decodes one value of each of `Ts` from `args` into a tuple.
template <class Tuple, std::size_t... I>
Tuple decode_tuple(std::string_view args, std::index_sequence<I...>) {
  Tuple t{};
  if constexpr (sizeof...(I) > 0) decode_into(args, std::get<I>(t)...);
  return t;
}

/// How a callable crosses to a worker (its address, or nothing at all for an empty type), and
/// the types of its arguments and result there.
template <class F, class... Args>
struct PoolCallable {
  using Fn = std::decay_t<F>;
  static constexpr bool is_pointer =
      std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>;
  static constexpr bool is_empty_type = std::is_class_v<Fn> && std::is_empty_v<Fn>;
  static_assert(is_pointer || is_empty_type,
                "tide::ProcessPool: a function crosses to a worker process by address, so it "
                "must be a plain function (or function pointer), a lambda without captures, or "
                "an empty function object. A lambda with captures cannot cross: pass what it "
                "captures as arguments instead.");
  static_assert(!is_empty_type || std::is_default_constructible_v<Fn>,
                "tide::ProcessPool: the worker default-constructs an empty function object, so "
                "its type must be default-constructible");
};

template <class Fn, class... Args>
struct PoolSignature;

/// A plain function: its parameters decide the types that cross.
template <class Ret, class... Params, class... Args>
struct PoolSignature<Ret (*)(Params...), Args...> {
  static_assert(sizeof...(Params) == sizeof...(Args),
                "tide::ProcessPool: the number of arguments does not match the function's");
  static_assert((std::is_convertible_v<Args&&, std::decay_t<Params>> && ...),
                "tide::ProcessPool: an argument does not convert to the function's parameter");
  using Tuple = std::tuple<std::decay_t<Params>...>;
  using Result = std::decay_t<Ret>;
};

/// An empty function object: the arguments as given (decayed) cross.
template <class Fn, class... Args>
struct PoolSignature {
  using Tuple = std::tuple<std::decay_t<Args>...>;
  using Result = std::decay_t<std::invoke_result_t<Fn&, std::decay_t<Args>&&...>>;
};

/// What `map` sends for one item: the function's parameter (plain function) or the item.
template <class Fn, class Value>
struct PoolChunkItemOf {
  using type = std::decay_t<Value>;
};
template <class Ret, class Param, class Value>
struct PoolChunkItemOf<Ret (*)(Param), Value> {
  using type = std::decay_t<Param>;
};
template <class Fn, class Value>
using PoolChunkItem = typename PoolChunkItemOf<Fn, Value>::type;

template <class Fn>
Fn pool_function(std::uintptr_t address) {
  if constexpr (std::is_pointer_v<Fn>)
    return reinterpret_cast<Fn>(address);
  else
    return Fn{};
}

template <class Fn>
std::uintptr_t pool_address(const Fn& fn) {
  if constexpr (std::is_pointer_v<Fn>)
    return reinterpret_cast<std::uintptr_t>(fn);
  else
    return 0;
}

/// The worker side of one call: decode, call, encode.
template <class Fn, class Tuple, class R>
void pool_trampoline(std::uintptr_t function, std::string_view args, std::string& out) {
  Tuple t = decode_tuple<Tuple>(args, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  Fn fn = pool_function<Fn>(function);
  if constexpr (std::is_void_v<R>) {
    std::apply(fn, std::move(t));
  } else {
    encode_append(out, static_cast<const R&>(std::apply(fn, std::move(t))));
  }
}

/// The worker side of one chunk of `map`: each item through the function, results in order.
template <class Fn, class Item, class R>
void pool_chunk_trampoline(std::uintptr_t function, std::string_view args, std::string& out) {
  std::vector<Item> items;
  decode_into(args, items);
  Fn fn = pool_function<Fn>(function);
  std::vector<R> results;
  results.reserve(items.size());
  for (auto& item : items)
    results.push_back(fn(std::move(item)));
  encode_append(out, results);
}

template <class T>
constexpr void check_pool_type() {
  if constexpr (!std::is_void_v<T>) check_serializable<T>();
}

}  // namespace tide::io::detail
