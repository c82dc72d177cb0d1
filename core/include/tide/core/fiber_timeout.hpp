#pragma once

#include <chrono>

#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/detail/timer_heap.hpp>
#include <tide/core/sleep.hpp>

namespace tide {

/// A deadline for the fibre that creates it, like `gevent.Timeout`: if the scope is still
/// running when `limit` has passed, `TimeoutError` is raised in the fibre at its current (or
/// next) suspension point; leaving the scope first disarms it.
///
///     try {
///       tide::Timeout limit(2s);
///       auto line = tide::await(stream.read_line());
///     } catch (const tide::TimeoutError&) { ... }
///
/// A TimeoutError raised inside a scope comes from that scope or an enclosing one: `expired()`
/// tells whether this one ran out. Throws UsageError outside a fibre.
class Timeout {
 public:
  template <class Rep, class Period>
  explicit Timeout(std::chrono::duration<Rep, Period> limit)
      : Timeout(detail::clamp_to_nanoseconds(limit), 0) {}
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout();

  /// Whether the time ran out (the error was raised, or is about to be).
  [[nodiscard]] bool expired() const noexcept { return expired_; }
  /// Disarms it early.
  void cancel() noexcept;

 private:
  Timeout(std::chrono::nanoseconds limit, int);
  struct Node : detail::TimerNode {
    Timeout* owner;
  };
  static void fired(detail::TimerNode& node) noexcept;

  detail::FiberJob* fibre_;
  Node node_;
  bool expired_ = false;
};

}  // namespace tide
