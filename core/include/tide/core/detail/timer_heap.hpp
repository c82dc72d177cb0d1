#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tide::detail {

using Clock = std::chrono::steady_clock;

/// A deadline waiting in the loop's timer heap. Lives inside the awaiter (so inside the
/// suspended frame): arming a timer allocates nothing.
struct TimerNode {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);

  Clock::time_point deadline{};
  std::uint64_t sequence = 0;     // insertion order; breaks ties so equal deadlines fire FIFO
  std::size_t index = not_armed;  // position in the heap, or not_armed
  // Called by the loop's timer phase after removal. Tide's own awaiters only schedule; a
  // `Timer` runs user code, whose exception surfaces from run_once like a posted callback's.
  void (*fire)(TimerNode&) = nullptr;

  [[nodiscard]] bool armed() const noexcept { return index != not_armed; }
};

/// 4-ary min-heap of timer nodes ordered by (deadline, sequence). Each node knows its slot, so
/// removal of any node is O(log n) without searching.
class TimerHeap {
 public:
  void insert(TimerNode& node);
  void erase(TimerNode& node) noexcept;
  [[nodiscard]] TimerNode* top() const noexcept { return nodes_.empty() ? nullptr : nodes_[0]; }
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  [[nodiscard]] bool empty() const noexcept { return nodes_.empty(); }

 private:
  static bool before(const TimerNode* a, const TimerNode* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, TimerNode* n) noexcept {
    nodes_[i] = n;
    n->index = i;
  }

  std::vector<TimerNode*> nodes_;
  std::uint64_t next_sequence_ = 0;
};

/// `now + d`, where a negative `d` means now and a `d` past the clock's range clamps to the
/// latest representable time (which never comes).
template <class Rep, class Period>
Clock::time_point deadline_after(Clock::time_point now, std::chrono::duration<Rep, Period> d) {
  using namespace std::chrono;
  if (d <= d.zero()) return now;
  auto room = Clock::time_point::max() - now;
  // Compare in floating point: converting `d` to nanoseconds first could itself overflow.
  if (duration<long double, std::nano>(d) >= duration<long double, std::nano>(room))
    return Clock::time_point::max();
  return now + ceil<Clock::duration>(d);
}

}  // namespace tide::detail
