#include <tide/sync/bounded_semaphore.hpp>

#include <cstdio>
#include <string>

#include <tide/core/errors.hpp>

namespace tide {

void BoundedSemaphore::release(std::size_t n) {
  permits_.check_thread();
  // Waiters queue only while nothing is free, so this also lets every hand-off through.
  if (n > bound_ - permits_.free()) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
    throw UsageError("tide::BoundedSemaphore " + std::string(address) + ": release(" +
                     std::to_string(n) + ") with " + std::to_string(permits_.free()) +
                     " permits free would pass its bound of " + std::to_string(bound_) +
                     " (released more often than acquired)");
  }
  permits_.give(n);
}

}  // namespace tide
