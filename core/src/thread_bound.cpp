#include <tide/core/detail/thread_bound.hpp>

#include <cstdio>
#include <string>

#include <tide/core/errors.hpp>

namespace tide::detail {

void ThreadBound::bind_or_fail(const char* type, const void* object) const {
  if (thread_ == nullptr) {
    thread_ = &t_thread_marker;
    return;
  }
  char address[32];
  std::snprintf(address, sizeof address, "%p", object);
  throw UsageError(std::string(type) + " " + address +
                   ": used from a thread that is not its loop's (it belongs to the loop that "
                   "first used it; cross threads with tide::ThreadQueue, tide::ThreadEvent or "
                   "Loop::post)");
}

}  // namespace tide::detail
