#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace tide::detail {

/// A growable ring of items, FIFO with a way back in at the front: cheaper per item than
/// std::deque (no block bookkeeping), and steady-state pushes and pops never allocate.
template <class T, std::size_t first_capacity = 16>
class Ring {
  static_assert((first_capacity & (first_capacity - 1)) == 0, "a power of two");

 public:
  Ring() noexcept = default;
  Ring(Ring&& other) noexcept
      : slots_(std::exchange(other.slots_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        head_(std::exchange(other.head_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    clear();
    std::allocator<T>().deallocate(slots_, capacity_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The next item out (never called when empty).
  [[nodiscard]] T& front() noexcept { return slots_[head_]; }
  /// Every item, first out first.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i)
      f(slots_[(head_ + i) & (capacity_ - 1)]);
  }
  void clear() noexcept {
    while (size_ > 0)
      (void)pop_front();
  }
  void push_back(T item) {
    if (size_ == capacity_) grow();
    std::construct_at(slots_ + ((head_ + size_) & (capacity_ - 1)), std::move(item));
    ++size_;
  }
  void push_front(T item) {
    if (size_ == capacity_) grow();
    head_ = (head_ - 1) & (capacity_ - 1);
    std::construct_at(slots_ + head_, std::move(item));
    ++size_;
  }
  T pop_front() noexcept {
    T* slot = slots_ + head_;
    T item = std::move(*slot);
    std::destroy_at(slot);
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return item;
  }

 private:
  void grow() {
    const std::size_t bigger = capacity_ == 0 ? first_capacity : capacity_ * 2;
    T* slots = std::allocator<T>().allocate(bigger);
    for (std::size_t i = 0; i < size_; ++i) {  // T must move without throwing
      T* from = slots_ + ((head_ + i) & (capacity_ - 1));
      std::construct_at(slots + i, std::move(*from));
      std::destroy_at(from);
    }
    std::allocator<T>().deallocate(slots_, capacity_);
    slots_ = slots;
    capacity_ = bigger;
    head_ = 0;
  }

  T* slots_ = nullptr;
  std::size_t capacity_ = 0;  // a power of two (or 0): `index & (capacity_ - 1)` wraps
  std::size_t head_ = 0;      // the slot of the next item out
  std::size_t size_ = 0;
};

}  // namespace tide::detail
