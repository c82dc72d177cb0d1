#include "core/src/inbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include <tide/core/errors.hpp>

#include "core/src/fork_guard.hpp"

namespace tide::detail {

Inbox::Inbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "tide::Loop: eventfd");
}

Inbox::~Inbox() {
  ::close(fd_);
}

void Inbox::post(Callback fn) {
  // A child's post would wake the parent's loop through the shared eventfd and then be lost.
  if (inherited_through_fork(born_)) [[unlikely]]
    throw_inherited("tide::Loop::post");
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw LoopClosed("tide::Loop: post to a loop that was destroyed");
    items_.push_back(std::move(fn));
    has_items_.store(true, std::memory_order_release);
    wake = sleeping_;
    sleeping_ = false;
  }
  if (wake) {
    std::uint64_t one = 1;
    // EAGAIN means the counter is saturated, which still reads as readable: nothing is lost.
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  }
}

void Inbox::release_remote() noexcept {
  if (remotes.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = sleeping_;
    sleeping_ = false;
  }
  if (wake) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  }
}

bool Inbox::spin_for_post() noexcept {
  return spin_.spin([this] { return has_items_.load(std::memory_order_acquire); });
}

bool Inbox::prepare_to_sleep() {
  std::lock_guard lock(mutex_);
  if (!items_.empty()) return false;
  sleeping_ = true;
  return true;
}

void Inbox::awake() {
  std::lock_guard lock(mutex_);
  sleeping_ = false;
}

void Inbox::take_posted(std::vector<Callback>& out) {
  std::lock_guard lock(mutex_);
  out.swap(items_);
  has_items_.store(false, std::memory_order_relaxed);
}

bool Inbox::busy() const {
  if (remotes.load(std::memory_order_acquire) > 0) return true;
  std::lock_guard lock(mutex_);
  return !items_.empty();
}

void Inbox::close() noexcept {
  std::vector<Callback> dropped;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    dropped.swap(items_);
  }
  // `dropped` is destroyed here, outside the lock: a callback's destructor may post.
}

}  // namespace tide::detail
