#pragma once

#include <chrono>

namespace tide::detail {

/// How long the loop (waiting for thread-pool results) and idle pool workers (waiting for
/// calls) spin before they sleep. Waking a thread that sleeps on another core costs 25-30 us
/// on these machines (MEASURED.md), twice per round trip; a spin of this length keeps a stream
/// of calls free of wake-ups and costs at most this much CPU per idle transition.
inline constexpr std::chrono::microseconds spin_before_sleep{50};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace tide::detail
