#include <tide/sync/detail/basic_queue.hpp>

#include <cstdio>
#include <string>

namespace tide::detail {

namespace {
std::string describe(const char* type, const void* queue) {
  char address[32];
  std::snprintf(address, sizeof address, "%p", queue);
  return std::string(type) + " " + address;
}
}  // namespace

void throw_queue_closed(const char* type, const void* queue, const char* operation) {
  throw QueueClosed(describe(type, queue) + ": " + operation +
                    " on a closed queue (the item was not queued)");
}

void throw_queue_drained(const char* type, const void* queue, const char* operation) {
  throw QueueClosed(describe(type, queue) + ": " + operation +
                    " on a closed queue with no item left to hand out");
}

void throw_task_done_overflow(const char* type, const void* queue) {
  throw UsageError(describe(type, queue) + ": task_done() called more times than items were put");
}

}  // namespace tide::detail
