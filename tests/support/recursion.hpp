#pragma once

namespace tide::testing {

/// Recurses with 512-byte frames until the stack runs out (the limit is never reached; it is
/// volatile so the recursion cannot be folded away). For stack overflow death tests.
inline volatile int recursion_limit = 1 << 30;

inline int recurse_until_overflow(int n) {
  volatile char frame[512];
  frame[0] = static_cast<char>(n);
  if (n >= recursion_limit) return n;
  return n + recurse_until_overflow(n + 1) + frame[0];
}

}  // namespace tide::testing
