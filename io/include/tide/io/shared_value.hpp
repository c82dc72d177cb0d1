#pragma once

#include <atomic>
#include <memory>
#include <new>
#include <type_traits>

#include <tide/io/detail/shared_mapping.hpp>
#include <tide/io/process_lock.hpp>

namespace tide::io {

/// One `T` in memory shared with the processes forked after it was made, with a ProcessLock
/// beside it: Python's `multiprocessing.Value`.
///
///     tide::SharedValue<int> tickets(10);           // before fork
///     // in any process:
///     { auto guard = co_await tickets.get_lock().scoped_lock(); if (*tickets > 0) --*tickets; }
///
/// `T` must be trivially copyable: the bytes are all another process can share (no pointer
/// into one process's heap means anything in another). Access through `value()`, `*`, `->`
/// is plain memory access: hold `get_lock()` while other processes may write (Python's
/// `with v.get_lock(): v.value += 1`), or use `atomic()` for a T that fits a lock-free
/// atomic. Made before fork; the mapping is unmapped when this object is destroyed (in
/// this process only). Thread safety: as the memory it is, under the lock.
template <class T>
class SharedValue {
  static_assert(std::is_trivially_copyable_v<T>,
                "tide::SharedValue<T>: T must be trivially copyable (plain bytes, no pointers "
                "into one process's heap such as std::string or std::vector); share a "
                "fixed-size array of char, or send such values over a Channel or ProcessQueue");

 public:
  /// A value-initialised T (zero for arithmetic types). Throws std::system_error.
  SharedValue() : SharedValue(T{}) {}
  /// A copy of `initial`. Throws std::system_error.
  explicit SharedValue(const T& initial) : memory_(sizeof(T), "tide::SharedValue") {
    ::new (memory_.data()) T(initial);
  }
  SharedValue(SharedValue&&) noexcept = default;
  SharedValue& operator=(SharedValue&&) noexcept = default;

  /// The shared object.
  [[nodiscard]] T& value() const noexcept { return *std::launder(static_cast<T*>(memory_.data())); }
  [[nodiscard]] T& operator*() const noexcept { return value(); }
  [[nodiscard]] T* operator->() const noexcept { return &value(); }
  /// Atomic access without the lock, for a T that std::atomic_ref handles without a lock
  /// (int, long, double, a pointer-sized struct, ...).
  [[nodiscard]] std::atomic_ref<T> atomic()
      const noexcept requires std::atomic_ref<T>::is_always_lock_free {
    return std::atomic_ref<T>(value());
  }
  /// The lock that goes with the value (Python's `get_lock()`).
  [[nodiscard]] ProcessLock& get_lock() const noexcept { return *lock_; }

 private:
  detail::SharedMapping memory_;
  std::unique_ptr<ProcessLock> lock_ = std::make_unique<ProcessLock>();
};

}  // namespace tide::io

namespace tide {
using io::SharedValue;
}
