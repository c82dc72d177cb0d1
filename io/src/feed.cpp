#include <tide/io/detail/feed.hpp>

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "core/src/driver.hpp"
#include "io/src/pool_state.hpp"

namespace tide::io::detail {

Feed::Feed(tide::detail::LoopCore& loop, int fd, Source source, PoolState* pool,
           std::size_t max_queued)
    : loop_(&loop), pool_(pool), max_queued_(max_queued), source_(source) {
  const auto caps = loop.driver->caps();
  multishot_ = source == Source::accept ? caps.multishot_accept
                                        : caps.multishot_recv && pool->kernel_picks();
  op_.fd = fd;
  op_.on_complete = &completed;
  op_.owner = this;
  if (pool_) pool_->ref();
}

Feed::~Feed() {
  if (op_.in_flight) loop_->io_abandon(op_);  // the driver closes or recycles what still comes
  if (oneshot_buffer_ >= 0) pool_->give_back(static_cast<std::uint16_t>(oneshot_buffer_));
  if (starved_) pool_->stop_waiting(*this);
  for (const Item& item : items_)
    release(item);
  items_.clear();
  while (Awaiter* w = waiters_head_) {
    remove(*w);
    w->deliver({-EBADF, -1});
  }
  PoolState::unref(pool_);
}

void Feed::release(const Item& item) noexcept {
  if (!item.holds) return;
  if (item.buffer >= 0) pool_->give_back(static_cast<std::uint16_t>(item.buffer));
  if (source_ == Source::accept && item.result >= 0) ::close(static_cast<int>(item.result));
}

Chunk Feed::chunk(const Item& item) const noexcept {
  if (item.buffer < 0) return {};
  const auto id = static_cast<std::uint16_t>(item.buffer);
  return Chunk(pool_, pool_->buffer(id), static_cast<std::size_t>(item.result), id);
}

// ---- requests -------------------------------------------------------------------------------

bool Feed::take_now(Item& item) noexcept {
  if (waiters_head_) return false;  // earlier requests are served first
  if (items_.empty()) {
    // One-shot mode: try the syscall right away (readiness backends do it when it may succeed).
    if (multishot_ || op_.in_flight || starved_) return false;
    try {
      arm();
    } catch (...) {
      return false;  // await_suspend arms again and reports the error
    }
    if (items_.empty()) return false;
  }
  item = items_.front();
  items_.pop_front();
  return true;
}

void Feed::enqueue(Awaiter& w) {
  w.prev_ = waiters_tail_;
  w.next_ = nullptr;
  (waiters_tail_ ? waiters_tail_->next_ : waiters_head_) = &w;
  waiters_tail_ = &w;
  w.linked_ = true;
  try {
    pump();
  } catch (...) {
    remove(w);
    throw;
  }
}

void Feed::remove(Awaiter& w) noexcept {
  (w.prev_ ? w.prev_->next_ : waiters_head_) = w.next_;
  (w.next_ ? w.next_->prev_ : waiters_tail_) = w.prev_;
  w.next_ = w.prev_ = nullptr;
  w.linked_ = false;
}

void Feed::Awaiter::deliver(const Item& item) noexcept {
  item_ = item;
  has_item_ = true;
  job->unpark(*this);
  feed_->loop_->schedule(handle);
}

void Feed::Awaiter::cancelled(tide::detail::Waiter& waiter) noexcept {
  auto& self = static_cast<Awaiter&>(waiter);
  self.feed_->remove(self);
  self.feed_->loop_->schedule(self.handle);
}

// ---- the operation --------------------------------------------------------------------------

// Hands queued results to waiting tasks, and starts the operation when a task waits, nothing
// is queued and nothing is under way. Throws if the backend refuses the operation.
void Feed::pump() {
  for (;;) {
    while (waiters_head_ && !items_.empty()) {
      Awaiter& w = *waiters_head_;
      remove(w);
      w.deliver(items_.front());
      items_.pop_front();
    }
    if (!waiters_head_ || !items_.empty() || op_.in_flight || starved_) return;
    if (!arm()) return;
  }
}

// From completions and buffer returns, where nobody can catch: a refused operation becomes
// the result the next waiting task receives.
void Feed::pump_noexcept() noexcept {
  try {
    pump();
  } catch (const std::system_error& e) {
    items_.push_back({-static_cast<long>(e.code().value()), -1});
    pump_noexcept();
  } catch (...) {
    items_.push_back({-ENOMEM, -1});
    pump_noexcept();
  }
}

// Starts the operation. True if it completed at once (its result is queued).
bool Feed::arm() {
  using Kind = IoOp::Kind;
  if (multishot_) {
    if (source_ == Source::recv && pool_->exhausted()) {
      starve();
      return false;
    }
    op_.kind = source_ == Source::accept ? Kind::accept_multishot : Kind::recv_multishot;
    if (source_ == Source::recv) op_.buffer_group = static_cast<std::uint16_t>(pool_->group);
    cap_cancelled_ = false;
    ++arms_;
    loop_->io_submit(op_);
    return false;
  }
  if (source_ == Source::accept) {
    op_.kind = Kind::accept;
    op_.buffer = nullptr;
    op_.address_length = nullptr;
  } else {
    std::uint16_t id;
    if (!pool_->take(id)) {
      starve();
      return false;
    }
    oneshot_buffer_ = id;
    op_.kind = Kind::recv;
    op_.buffer = pool_->buffer(id);
    op_.length = pool_->size;
  }
  ++arms_;
  if (loop_->io_try_now(op_)) {
    on_result(op_.result, -1, false);
    return true;
  }
  try {
    loop_->io_submit(op_);
  } catch (...) {
    if (oneshot_buffer_ >= 0) pool_->give_back(static_cast<std::uint16_t>(oneshot_buffer_));
    oneshot_buffer_ = -1;
    throw;
  }
  return false;
}

void Feed::completed(IoOp& op) noexcept {
  Feed& self = *static_cast<Op&>(op).owner;
  self.on_result(op.result, op.buffer_id, op.in_flight);
  self.pump_noexcept();
}

void Feed::on_result(long result, std::int32_t buffer, bool more) noexcept {
  if (buffer >= 0) ++pool_->lent;  // the kernel took it from the ring
  if (oneshot_buffer_ >= 0) {
    buffer = std::exchange(oneshot_buffer_, -1);
    if (result <= 0) {  // nothing landed in it
      pool_->give_back(static_cast<std::uint16_t>(buffer));
      buffer = -1;
    }
  }
  if (!more && result == -ECANCELED && cap_cancelled_) {
    // Stopped because the queue was full; re-armed once it drains.
  } else if (!more && result == -ENOBUFS && multishot_) {
    // The buffer ring ran dry; re-armed once a buffer comes back.
    if (pool_->exhausted()) starve();
  } else {
    const bool holds = buffer >= 0 || (source_ == Source::accept && result >= 0);
    items_.push_back({result, buffer, holds});
  }
  if (!more) cap_cancelled_ = false;
  if (more && items_.size() >= max_queued_ && !cap_cancelled_) {
    cap_cancelled_ = true;
    loop_->io_cancel(op_);
  }
}

void Feed::starve() noexcept {
  if (starved_) return;
  starved_ = true;
  pool_->wait_for_buffer(*this);
}

void Feed::buffer_available() noexcept {
  starved_ = false;
  pump_noexcept();
}

}  // namespace tide::io::detail
