#include <tide/sync/semaphore.hpp>

#include <limits>
#include <string>

#include <tide/core/errors.hpp>

#include <string>
#include <string_view>

#include <tide/core/detail/describe.hpp>

namespace tide {
namespace detail {

Permits::Permits(std::size_t initial, const char* type) noexcept
    : waiters_({.owner = this, .unclaimed = &Permits::unclaimed, .describe = &Permits::describe}),
      free_(initial),
      type_(type) {}

bool Permits::try_take() noexcept {
  if (free_ == 0) return false;
  --free_;
  return true;
}

void Permits::give(std::size_t n) noexcept {
  // Each wake-up hands one permit over: the woken waiter holds it from here on.
  for (; n > 0 && waiters_.wake_one(); --n) {
  }
  free_ += n;
}

// A woken waiter was destroyed before it resumed: the permit it was handed goes on.
void Permits::unclaimed(void* self) noexcept {
  static_cast<Permits*>(self)->give(1);
}

void Permits::describe(const void* self, WaitInfo& info) {
  const auto& permits = *static_cast<const Permits*>(self);
  std::string_view type = permits.type_;
  if (type.starts_with("tide::")) type.remove_prefix(6);
  info.what = std::string(type) + " " + describe_address(&permits) + " acquire";
}

}  // namespace detail

void Semaphore::release(std::size_t n) {
  permits_.check_thread();
  if (n > std::numeric_limits<std::size_t>::max() - permits_.free())
    throw UsageError("tide::Semaphore: release(" + std::to_string(n) + ") would overflow the " +
                     std::to_string(permits_.free()) + " free permits");
  permits_.give(n);
}

}  // namespace tide
