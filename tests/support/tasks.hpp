#pragma once

#include <chrono>

#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>

namespace tide::testing {

/// Sleeps `delay`, then returns `value`.
inline Task<int> value_after(std::chrono::milliseconds delay, int value) {
  co_await sleep_for(delay);
  co_return value;
}

/// Sleeps an hour unless cancelled first; counts the cancellation in `cancellations` and lets
/// it propagate, as well-behaved code does.
inline Task<int> sleep_until_cancelled(int& cancellations) {
  try {
    co_await sleep_for(std::chrono::hours(1));
  } catch (const Cancelled&) {
    ++cancellations;
    throw;
  }
  co_return 0;
}

}  // namespace tide::testing
