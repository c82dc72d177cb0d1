#include <tide/sync/mutex.hpp>

#include <tide/core/detail/describe.hpp>
#include <tide/core/errors.hpp>

namespace tide {

MutexGuard& MutexGuard::operator=(MutexGuard&& other) noexcept {
  if (this != &other) {
    release();
    mutex_ = std::exchange(other.mutex_, nullptr);
  }
  return *this;
}

void MutexGuard::unlock() {
  if (mutex_ == nullptr)
    throw UsageError(
        "tide::MutexGuard::unlock(): the guard holds no lock (moved from, "
        "already unlocked or default-constructed)");
  std::exchange(mutex_, nullptr)->unlock();
}

void MutexGuard::release() noexcept {
  // A destructor cannot report misuse, and throwing here would terminate: if the mutex was
  // already unlocked behind the guard's back there is nothing left to release.
  if (Mutex* m = std::exchange(mutex_, nullptr); m != nullptr && m->locked_) m->release();
}

Mutex::Mutex() noexcept : waiters_({.owner = this, .unclaimed = &pass_on, .describe = &describe}) {}

bool Mutex::try_lock() {
  thread_.check("tide::Mutex", this);
  return take_if_free();
}

void Mutex::unlock() {
  thread_.check("tide::Mutex", this);
  if (!locked_) throw UsageError("tide::Mutex::unlock(): the mutex is not locked");
  release();
}

Mutex::LockAwaiter Mutex::lock() {
  thread_.check("tide::Mutex", this);
  return LockAwaiter(*this, std::nullopt);
}

Mutex::LockForAwaiter Mutex::lock_for_ns(std::chrono::nanoseconds timeout) {
  thread_.check("tide::Mutex", this);
  return LockForAwaiter(*this, timeout);
}

Mutex::ScopedLockAwaiter Mutex::scoped_lock() {
  thread_.check("tide::Mutex", this);
  return ScopedLockAwaiter(*this, std::nullopt);
}

void Mutex::release() noexcept {
  // The first waiter becomes the holder before it resumes, so `locked_` stays true.
  holder_ = waiters_.front_job();
  if (!waiters_.wake_one()) locked_ = false;
}

void Mutex::describe(const void* self, detail::WaitInfo& info) {
  const auto& mutex = *static_cast<const Mutex*>(self);
  info.what = "Mutex " + detail::describe_address(&mutex);
  if (mutex.holder_ != nullptr)
    info.what += " held by " + mutex.holder_->describe();
  else if (mutex.locked_)
    info.what += " (locked outside any task or fibre)";
  info.blocked_by = mutex.holder_;
}

void Mutex::pass_on(void* self) noexcept {
  // A waiter was handed the lock and destroyed before it resumed: it never held it in
  // earnest, so the lock goes on to the next waiter (or is freed).
  static_cast<Mutex*>(self)->release();
}

Mutex::Relock::~Relock() {
  detail::WaitQueue::unpark_quietly(*this);
  if (detail::IntrusiveList<detail::WaitNode, &detail::WaitNode::hook>::linked(*this))
    mutex_->waiters_.remove(*this);  // its coroutine was destroyed while it waited
  else if (woken_ && !resumed_)
    mutex_->release();  // handed the lock, destroyed before it could use it: pass it on
}

void Mutex::Relock::woken(detail::WaitNode& node) noexcept {
  auto& self = static_cast<Relock&>(node);
  detail::WaitQueue::unpark_quietly(self);
  self.woken_ = true;
  self.parked_job->loop->schedule(self.handle_, self.parked_job);
}

}  // namespace tide
