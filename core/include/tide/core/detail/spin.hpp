#pragma once

#include <algorithm>
#include <chrono>

namespace tide::detail {

/// How long the loop (waiting for thread-pool results) and idle pool workers (waiting for
/// calls) spin before they sleep. Waking a thread that sleeps on another core costs 25-30 us
/// on these machines (docs/design.md, "Figures"), twice per round trip; a spin of this length keeps
/// a stream of calls free of wake-ups and costs at most this much CPU per idle transition.
inline constexpr std::chrono::microseconds spin_before_sleep{50};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Whether this process may run on more than one CPU: on one, a spinning thread only keeps the
/// thread it waits for from running. Read once (sched_getaffinity), in spin.cpp.
bool several_cpus() noexcept;

/// Spins for at most `spin_before_sleep` until `ready()`; returns whether it became true.
/// The clock is read once per 64 checks, so the check itself stays the hot part.
template <class Ready>
bool spin_until(Ready ready) noexcept {
  const auto until = std::chrono::steady_clock::now() + spin_before_sleep;
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

/// A spinner that learns when spinning does not pay. A spin that fails burns up to
/// `spin_before_sleep` of CPU for nothing, and when the other side cannot run meanwhile (both
/// threads on one core, or the other core busy with something else) every spin fails: a round
/// trip between the loop and a worker then cost two whole spins (about 100 us instead of 3).
/// So after a failed spin the next waits sleep at once, for 1, 2, 4 ... up to 64 waits, and a
/// spin that succeeds starts over. On a single CPU it never spins. Not thread-safe: one
/// spinner at a time.
class AdaptiveSpin {
 public:
  template <class Ready>
  bool spin(Ready ready) noexcept {
    if (skip_left_ > 0) {
      --skip_left_;
      return false;
    }
    if (!several_cpus()) return false;
    if (spin_until(ready)) {
      skip_ = 0;
      return true;
    }
    skip_ = std::min<unsigned>(skip_ == 0 ? 1 : skip_ * 2, max_skip);
    skip_left_ = skip_;
    return false;
  }

 private:
  static constexpr unsigned max_skip = 64;
  unsigned skip_ = 0;       // waits to sleep through after the last failed spin
  unsigned skip_left_ = 0;  // of those, still to come
};

}  // namespace tide::detail
