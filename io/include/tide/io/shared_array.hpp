#pragma once

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <tide/io/detail/shared_mapping.hpp>
#include <tide/io/process_lock.hpp>

namespace tide::io {

/// A fixed number of `T` in memory shared with the processes forked after it was made, with
/// a ProcessLock beside them: Python's `multiprocessing.Array`.
///
///     tide::SharedArray<int> temp{11, 22, 33, 44};   // before fork
///     // a child: { auto guard = co_await temp.get_lock().scoped_lock(); temp[0] = 100 + i; }
///
/// `T` must be trivially copyable (see SharedValue). Element access is plain memory access:
/// hold `get_lock()` while other processes may write. Made before fork; unmapped when this
/// object is destroyed (in this process only). Thread safety: as the memory it is.
template <class T>
class SharedArray {
  static_assert(std::is_trivially_copyable_v<T>,
                "tide::SharedArray<T>: T must be trivially copyable (plain bytes, no pointers "
                "into one process's heap such as std::string or std::vector); send such values "
                "over a Channel or ProcessQueue instead");

 public:
  /// `size` value-initialised elements. Throws std::system_error.
  explicit SharedArray(std::size_t size) : SharedArray(size, nullptr) {}
  /// A copy of `values`. Throws std::system_error.
  explicit SharedArray(std::span<const T> values) : SharedArray(values.size(), values.data()) {}
  SharedArray(std::initializer_list<T> values) : SharedArray(values.size(), values.begin()) {}
  SharedArray(SharedArray&&) noexcept = default;
  SharedArray& operator=(SharedArray&&) noexcept = default;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] T* data() const noexcept { return std::launder(static_cast<T*>(memory_.data())); }
  [[nodiscard]] std::span<T> span() const noexcept { return {data(), size_}; }
  [[nodiscard]] T* begin() const noexcept { return data(); }
  [[nodiscard]] T* end() const noexcept { return data() + size_; }
  [[nodiscard]] T& operator[](std::size_t i) const noexcept { return data()[i]; }
  /// Element `i`; std::out_of_range naming the index and size when past the end.
  [[nodiscard]] T& at(std::size_t i) const {
    if (i >= size_)
      throw std::out_of_range("tide::SharedArray::at: index " + std::to_string(i) +
                              " is past the end (size " + std::to_string(size_) + ")");
    return data()[i];
  }
  /// The lock that goes with the array (Python's `get_lock()`).
  [[nodiscard]] ProcessLock& get_lock() const noexcept { return *lock_; }

 private:
  SharedArray(std::size_t size, const T* initial)
      : memory_(bytes_for(size), "tide::SharedArray"), size_(size) {
    T* p = static_cast<T*>(memory_.data());
    for (std::size_t i = 0; i < size; ++i)
      ::new (p + i) T(initial ? initial[i] : T{});
  }

  static std::size_t bytes_for(std::size_t size) {
    if (size > std::numeric_limits<std::size_t>::max() / sizeof(T))
      throw std::length_error("tide::SharedArray: " + std::to_string(size) +
                              " elements do not fit in memory");
    return size * sizeof(T);
  }

  detail::SharedMapping memory_;
  std::size_t size_ = 0;
  std::unique_ptr<ProcessLock> lock_ = std::make_unique<ProcessLock>();
};

}  // namespace tide::io

namespace tide {
using io::SharedArray;
}
