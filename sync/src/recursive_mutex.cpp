#include <tide/sync/recursive_mutex.hpp>

#include <string>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/errors.hpp>

namespace tide {

RecursiveMutex::RecursiveMutex() noexcept
    : waiters_({.owner = this, .unclaimed = &pass_on, .describe = &describe}) {}

RecursiveMutex::LockAwaiter RecursiveMutex::lock() {
  thread_.check("tide::RecursiveMutex", this);
  return LockAwaiter(*this, std::nullopt);
}

RecursiveMutex::LockForAwaiter RecursiveMutex::lock_for_ns(std::chrono::nanoseconds timeout) {
  thread_.check("tide::RecursiveMutex", this);
  return LockForAwaiter(*this, timeout);
}

void RecursiveMutex::unlock() {
  thread_.check("tide::RecursiveMutex", this);
  if (owner_ == nullptr) throw UsageError("tide::RecursiveMutex::unlock(): it is not locked");
  // The caller is the job whose step the loop runs (a task awaited by a fibre runs for that
  // fibre); from a callback, or outside the loop, nobody is known and nothing is checked.
  if (const detail::Job* caller = detail::current_job(); caller != nullptr && caller != owner_)
    throw UsageError("tide::RecursiveMutex::unlock(): called from " + caller->describe() +
                     ", but " + owner_->describe() + " holds it");
  if (--depth_ == 0) release();
}

bool RecursiveMutex::enter(detail::Job& job) noexcept {
  if (owner_ != nullptr && owner_ != &job) return false;
  owner_ = &job;
  ++depth_;
  return true;
}

void RecursiveMutex::release() noexcept {
  // Every waiter is a LockAwaiter, parked with its job: that job holds it from here on.
  if (detail::WaitNode* next = waiters_.front()) {
    owner_ = static_cast<LockAwaiter*>(next)->waiting_job();
    depth_ = 1;
    waiters_.wake_one();
  } else {
    owner_ = nullptr;
    depth_ = 0;
  }
}

void RecursiveMutex::describe(const void* self, detail::WaitInfo& info) {
  const auto& mutex = *static_cast<const RecursiveMutex*>(self);
  info.what = "RecursiveMutex " + detail::describe_address(&mutex);
  if (mutex.owner_ != nullptr)
    info.what +=
        " held by " + mutex.owner_->describe() + " (depth " + std::to_string(mutex.depth_) + ")";
  info.blocked_by = mutex.owner_;
}

void RecursiveMutex::pass_on(void* self) noexcept {
  // Handed to a waiter destroyed before it resumed: its job never used it; the next gets it.
  static_cast<RecursiveMutex*>(self)->release();
}

}  // namespace tide
