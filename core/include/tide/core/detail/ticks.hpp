#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace tide::detail {

/// A cheap monotonic tick count for the loop's idle time: the x86 time-stamp counter (about
/// half the cost of a steady_clock read here; invariant on every x86 CPU this runs on), or
/// steady_clock's nanoseconds elsewhere. Turned into time by `TickClock`.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

/// Converts tick counts to time by comparing ticks and steady_clock over its own lifetime.
class TickClock {
 public:
  TickClock() noexcept : born_ticks_(ticks()), born_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] std::chrono::nanoseconds to_time(std::uint64_t count) const noexcept {
    const auto elapsed = std::chrono::steady_clock::now() - born_;
    const std::uint64_t elapsed_ticks = ticks() - born_ticks_;
    if (elapsed_ticks == 0) return {};
    const long double ns_per_tick =
        static_cast<long double>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
        static_cast<long double>(elapsed_ticks);
    return std::chrono::nanoseconds(static_cast<long long>(count * ns_per_tick));
  }

 private:
  std::uint64_t born_ticks_;
  std::chrono::steady_clock::time_point born_;
};

}  // namespace tide::detail
