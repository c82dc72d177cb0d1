// settle(): the tests' one way to let what they started reach its first wait, counted in loop
// turns, never in time.
#pragma once

#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>

namespace tide::testing {

/// Lets every task and fibre started so far run until it parks (a few turns of the loop).
inline Task<void> settle() {
  for (int turn = 0; turn < 4; ++turn)
    co_await tide::yield_now();
}

}  // namespace tide::testing
