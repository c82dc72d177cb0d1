#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>

namespace tide::detail {

class Job;

/// A coroutine ready to resume, and the job it runs for (null: tide's own machinery, such as
/// a process pool's pump): the loop names that job as running while it resumes it.
struct ReadyEntry {
  std::coroutine_handle<> handle;
  Job* job = nullptr;
};

/// FIFO of coroutines that are ready to resume: a power-of-two ring that grows and never
/// shrinks, so a steady state pushes and pops without allocating. A coroutine is in the queue
/// at most once; the awaiters guarantee that by construction (see Job::waiting).
class ReadyQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == tail_; }
  [[nodiscard]] std::size_t size() const noexcept { return tail_ - head_; }

  void push(std::coroutine_handle<> h, Job* job) {
    if (tail_ - head_ == capacity_) grow();
    slots_[tail_++ & (capacity_ - 1)] = {h, job};
  }

  ReadyEntry pop() noexcept { return slots_[head_++ & (capacity_ - 1)]; }
  /// The `i`th entry from the front (Loop::dump).
  [[nodiscard]] const ReadyEntry& at(std::size_t i) const noexcept {
    return slots_[(head_ + i) & (capacity_ - 1)];
  }

  void clear() noexcept { head_ = tail_ = 0; }

 private:
  void grow() {
    std::size_t bigger = capacity_ ? capacity_ * 2 : 256;
    auto slots = std::make_unique<ReadyEntry[]>(bigger);
    for (std::size_t i = 0; i < size(); ++i)
      slots[i] = slots_[(head_ + i) & (capacity_ - 1)];
    tail_ = size();
    head_ = 0;
    slots_ = std::move(slots);
    capacity_ = bigger;
  }

  // head_ and tail_ only grow; `index & (capacity_ - 1)` maps them into the ring.
  std::unique_ptr<ReadyEntry[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace tide::detail
