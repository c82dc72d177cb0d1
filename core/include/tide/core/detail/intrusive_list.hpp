#pragma once

namespace tide::detail {

/// The links a node carries to be in one IntrusiveList (a node in several lists has several
/// hooks). `linked` makes removal idempotent: a node can be taken out by whoever gets there
/// first (a wake-up, a cancellation, a destructor) without the others checking.
template <class T>
struct ListHook {
  T* prev = nullptr;
  T* next = nullptr;
  bool linked = false;
};

/// A doubly linked FIFO of nodes that live elsewhere (in awaiters, frames, operations): no
/// allocation, O(1) push, pop and removal from the middle. The list holds only the two ends,
/// so it may be moved while empty or kept in a std::vector (nodes never point at the list).
/// The one list type under the loop's jobs, the backends' per-fd operations, watchers and
/// wait queues (libuv's queue.h and tokio's linked_list.rs play the same part).
template <class T, ListHook<T> T::*Hook>
class IntrusiveList {
 public:
  IntrusiveList() noexcept = default;
  IntrusiveList(IntrusiveList&& other) noexcept : first_(other.first_), last_(other.last_) {
    other.first_ = other.last_ = nullptr;
  }
  IntrusiveList& operator=(IntrusiveList&& other) noexcept {
    first_ = other.first_;
    last_ = other.last_;
    other.first_ = other.last_ = nullptr;
    return *this;
  }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  [[nodiscard]] bool empty() const noexcept { return first_ == nullptr; }
  [[nodiscard]] T* front() const noexcept { return first_; }
  [[nodiscard]] T* back() const noexcept { return last_; }
  /// The node after `node` in its list, or null.
  [[nodiscard]] static T* next(const T& node) noexcept { return (node.*Hook).next; }
  [[nodiscard]] static bool linked(const T& node) noexcept { return (node.*Hook).linked; }

  void push_back(T& node) noexcept {
    ListHook<T>& h = node.*Hook;
    h.prev = last_;
    h.next = nullptr;
    h.linked = true;
    (last_ ? (last_->*Hook).next : first_) = &node;
    last_ = &node;
  }
  void push_front(T& node) noexcept {
    ListHook<T>& h = node.*Hook;
    h.prev = nullptr;
    h.next = first_;
    h.linked = true;
    (first_ ? (first_->*Hook).prev : last_) = &node;
    first_ = &node;
  }
  /// Takes `node` out of this list; no effect if it is in no list.
  void remove(T& node) noexcept {
    ListHook<T>& h = node.*Hook;
    if (!h.linked) return;
    (h.prev ? (h.prev->*Hook).next : first_) = h.next;
    (h.next ? (h.next->*Hook).prev : last_) = h.prev;
    h.prev = h.next = nullptr;
    h.linked = false;
  }
  /// Takes the first node out, or returns null when empty.
  T* pop_front() noexcept {
    T* node = first_;
    if (node) remove(*node);
    return node;
  }

 private:
  T* first_ = nullptr;
  T* last_ = nullptr;
};

}  // namespace tide::detail
