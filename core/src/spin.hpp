#pragma once

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

}  // namespace tide::detail
