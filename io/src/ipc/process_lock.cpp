#include <tide/io/process_lock.hpp>

#include <poll.h>
#include <unistd.h>

#include <tide/core/errors.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/ops.hpp>

namespace tide::io {

namespace {
constexpr const char* name = "tide::ProcessLock";
}

ProcessLockGuard::~ProcessLockGuard() {
  if (lock_ != nullptr) lock_->unlock();
}

void ProcessLockGuard::unlock() {
  if (lock_ == nullptr) throw UsageError("tide::ProcessLockGuard::unlock: the guard holds no lock");
  std::exchange(lock_, nullptr)->unlock();
}

ProcessLock::ProcessLock()
    : memory_(sizeof(Shared), name), wakeups_(detail::make_eventfd(0, true, name)) {
  new (memory_.data()) Shared{};  // zero pages: state 0 (free), holder 0
}

ProcessLock::~ProcessLock() = default;

void ProcessLock::took() noexcept {
  shared().holder.store(::getpid(), std::memory_order_relaxed);
}

bool ProcessLock::try_lock() noexcept {
  std::uint32_t expected = 0;
  if (!shared().state.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                              std::memory_order_relaxed))
    return false;
  took();
  return true;
}

void ProcessLock::unlock() {
  Shared& s = shared();
  s.holder.store(0, std::memory_order_relaxed);
  const std::uint32_t previous = s.state.exchange(0, std::memory_order_release);
  if (previous == 0) throw UsageError("tide::ProcessLock::unlock: the lock is not held");
  // State 2: a waiter may sleep on the eventfd. One token wakes one sleeper, which retries
  // below; a token nobody needs (its waiter got the lock on the way) costs a later waiter one
  // spurious retry, never a missed wake-up.
  if (previous == 2) detail::eventfd_add(wakeups_.get(), 1, "tide::ProcessLock::unlock");
}

bool ProcessLock::locked() const noexcept {
  return shared().state.load(std::memory_order_relaxed) != 0;
}

pid_t ProcessLock::holder() const noexcept {
  return shared().holder.load(std::memory_order_relaxed);
}

Task<void> ProcessLock::lock() {
  if (try_lock()) co_return;
  Shared& s = shared();
  // Mark the lock contended (2) as we try: whoever holds it now, or takes it before we do,
  // will then post a token on unlock. A waiter only sleeps having seen the lock held in state
  // 2, so an unlock after that point always wakes somebody (no lost wake-up).
  while (s.state.exchange(2, std::memory_order_acquire) != 0) {
    co_await io::wait_ready(wakeups_.get(), POLLIN);
    // Take the token (if another waiter of any process was faster, there is none: retry
    // anyway, the exchange above decides). Nothing suspends between here and the exchange,
    // so a cancellation cannot swallow a token.
    (void)detail::eventfd_take(wakeups_.get(), name);
  }
  took();
}

Task<bool> ProcessLock::lock_for_ns(std::chrono::nanoseconds limit) {
  if (try_lock()) co_return true;
  try {
    co_await tide::timeout(limit, lock());
  } catch (const TimeoutError&) {
    co_return false;
  }
  co_return true;
}

Task<ProcessLockGuard> ProcessLock::scoped_lock() {
  co_await lock();
  co_return ProcessLockGuard(*this);
}

}  // namespace tide::io
