#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tide::detail {

/// A move-only `void()` callable with small-buffer storage, so posting a lambda that captures a
/// few pointers (or a move-only object) allocates nothing beyond the queue slot.
class Callback {
 public:
  Callback() noexcept = default;

  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> && std::is_invocable_v<std::decay_t<F>&>)
      Callback(F&& f) {  // NOLINT(google-explicit-constructor): converting, like std::function
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= sizeof(storage_) && alignof(Fn) <= alignof(Storage) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      ::new (static_cast<void*>(&storage_)) Fn(std::forward<F>(f));
      ops_ = &inline_ops<Fn>;
    } else {
      *reinterpret_cast<Fn**>(&storage_) = new Fn(std::forward<F>(f));
      ops_ = &heap_ops<Fn>;
    }
  }

  Callback(Callback&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
    if (ops_) ops_->move(&storage_, &other.storage_);
  }
  Callback& operator=(Callback&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = std::exchange(other.ops_, nullptr);
      if (ops_) ops_->move(&storage_, &other.storage_);
    }
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  void operator()() { ops_->call(&storage_); }

  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(&storage_);
  }

 private:
  struct Storage {
    alignas(std::max_align_t) std::byte bytes[3 * sizeof(void*)];
  };
  struct Ops {
    void (*call)(void*);
    void (*move)(void* to, void* from) noexcept;  // leaves `from` destroyed
    void (*destroy)(void*) noexcept;
  };
  template <class Fn>
  static constexpr Ops inline_ops{[](void* p) { (*static_cast<Fn*>(p))(); },
                                  [](void* to, void* from) noexcept {
                                    ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
                                    static_cast<Fn*>(from)->~Fn();
                                  },
                                  [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); }};
  template <class Fn>
  static constexpr Ops heap_ops{
      [](void* p) { (**static_cast<Fn**>(p))(); },
      [](void* to, void* from) noexcept { *static_cast<Fn**>(to) = *static_cast<Fn**>(from); },
      [](void* p) noexcept { delete *static_cast<Fn**>(p); }};

  Storage storage_;
  const Ops* ops_ = nullptr;
};

}  // namespace tide::detail
