#include <tide/io/detail/result_stream.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include <tide/core/loop.hpp>
#include <tide/io/detail/io_awaiter.hpp>

#include "io/src/pool_state.hpp"

namespace tide::io::detail {

ResultStream::ResultStream(tide::detail::LoopCore& loop, int fd, Source source, PoolState* pool,
                           std::size_t max_queued)
    : loop_(&loop),
      pool_(pool),
      requests_({.owner = this, .unclaimed = &give_back_unclaimed, .describe = &describe_wait}),
      buffer_wait_(&buffer_available),
      max_queued_(max_queued),
      source_(source) {
  const auto caps = loop.io_caps();
  multishot_ = source == Source::accept ? caps.multishot_accept
                                        : caps.multishot_recv && pool->kernel_picks();
  op_.fd = fd;
  op_.on_complete = &completed;
  if (source == Source::recv) op_.on_discard = &discarded;
  op_.owner = this;
  buffer_wait_.owner = this;
  if (pool_) pool_->ref();
}

void ResultStream::describe_wait(const void* self, tide::detail::WaitInfo& info) {
  const auto& stream = *static_cast<const ResultStream*>(self);
  IoOp op = stream.op_;
  op.kind = stream.source_ == Source::accept ? IoOp::Kind::accept : IoOp::Kind::recv;
  info.what = describe_waiting_op(op, stream.loop_->owner.backend_name());
}

ResultStream::~ResultStream() {
  // Out of the pool's queue first: the chunks given back below wake its waiters.
  if (starved_) pool_->waiting.remove(buffer_wait_);
  starved_ = false;
  if (op_.in_flight) loop_->io_abandon(op_);  // what still comes is closed or given back
  items_.for_each([this](const Item& item) { release(item); });
  items_.clear();
  while (tide::detail::WaitNode* front = requests_.front()) {
    auto& request = static_cast<Awaiter&>(*front);
    deliver({-EBADF, -1});
    request.stream_ = nullptr;
    request.leave_queue();
  }
  PoolState::unref(pool_);
}

void ResultStream::release(const Item& item) noexcept {
  if (!item.owns_resource) return;
  if (item.buffer >= 0) pool_->release(static_cast<std::uint16_t>(item.buffer));
  if (source_ == Source::accept && item.result >= 0) ::close(static_cast<int>(item.result));
}

Chunk ResultStream::chunk(const Item& item) const noexcept {
  if (item.buffer < 0) return {};
  const auto id = static_cast<std::uint16_t>(item.buffer);
  return Chunk(pool_, pool_->slab(id) + item.offset, static_cast<std::size_t>(item.result), id);
}

// ---- requests -------------------------------------------------------------------------------

bool ResultStream::take_now(Item& item) noexcept {
  if (!requests_.empty()) return false;  // earlier requests are served first
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
  item = items_.pop_front();
  return true;
}

// Hands `item` to the longest waiting request and wakes it.
void ResultStream::deliver(const Item& item) noexcept {
  auto& request = static_cast<Awaiter&>(*requests_.front());
  request.item_ = item;
  request.has_item_ = true;
  requests_.wake_one();
}

// A request was handed a result and destroyed before it took it (its destructor put the
// result back in front): the next request gets it.
void ResultStream::give_back_unclaimed(void* self) noexcept {
  static_cast<ResultStream*>(self)->pump_noexcept();
}

// ---- the operation --------------------------------------------------------------------------

// Hands queued results to waiting tasks, and starts the operation when a task waits, nothing
// is queued and nothing is under way. Throws if the backend refuses the operation.
void ResultStream::pump() {
  for (;;) {
    while (!requests_.empty() && !items_.empty()) {
      deliver(items_.pop_front());
    }
    if (requests_.empty() || !items_.empty() || op_.in_flight || starved_) return;
    if (!arm()) return;
  }
}

// From completions and buffer returns, where nobody can catch: a refused operation becomes
// the result the next waiting task receives.
void ResultStream::pump_noexcept() noexcept {
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
bool ResultStream::arm() {
  using Kind = IoOp::Kind;
  if (multishot_) {
    if (source_ == Source::recv && !pool_->ring_ready()) {
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
  if (source_ == Source::recv) return receive_now();
  op_.kind = Kind::accept;
  op_.buffer = nullptr;
  op_.address_length = nullptr;
  ++arms_;
  if (loop_->io_try_now(op_)) {
    on_result(op_);
    return true;
  }
  loop_->io_submit(op_);
  return false;
}

// One-shot recv: recv(2) into the pool's current slab if data is there (true: a result is
// queued); else wait for the fd to be readable, holding no slab meanwhile, and try again then.
bool ResultStream::receive_now() {
  std::uint16_t id;
  std::byte* at;
  std::size_t room;
  if (!pool_->tail(id, at, room)) {
    starve();
    return false;
  }
  ++arms_;
  // The readiness backends do the recv here, and skip it when an EAGAIN since the fd's last
  // event says it would fail; io_uring's try_now never does it, so once its poll op has said
  // the fd is readable, the recv is made directly.
  op_.kind = IoOp::Kind::recv;
  op_.buffer = at;
  op_.length = room;
  op_.flags = 0;
  long n = -EAGAIN;
  if (loop_->io_try_now(op_)) {
    n = op_.result;
  } else if (readable_) {
    do {
      n = ::recv(op_.fd, at, room, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = -errno;
  }
  readable_ = false;
  if (n > 0) {
    const std::uint32_t offset = pool_->carve(id, static_cast<std::size_t>(n));
    items_.push_back({n, id, true, offset});
    return true;
  }
  if (n != -EAGAIN && n != -EWOULDBLOCK) {
    items_.push_back({n, -1});  // the end of the stream, or an error
    return true;
  }
  op_.kind = IoOp::Kind::poll;
  op_.poll_events = POLLIN;
  loop_->io_submit(op_);
  return false;
}

void ResultStream::completed(IoOp& op) noexcept {
  ResultStream& self = *static_cast<Op&>(op).owner;
  // A one-shot recv's readiness wait: the recv itself follows (in pump) if a task still asks.
  if (op.kind == IoOp::Kind::poll) {
    if (op.result < 0)
      self.items_.push_back({op.result, -1});
    else
      self.readable_ = true;
  } else {
    self.on_result(op);
  }
  self.pump_noexcept();
}

// A completion of the multishot recv while the stream is being destroyed: the bytes it
// reports are nobody's, so their part of the slab goes back at once.
void ResultStream::discarded(IoOp& op) noexcept {
  ResultStream& self = *static_cast<Op&>(op).owner;
  if (op.buffer_id < 0) return;
  const auto id = static_cast<std::uint16_t>(op.buffer_id);
  if (self.pool_->filled(id, op.result, op.buffer_more)) self.pool_->release(id);
}

void ResultStream::on_result(const IoOp& op) noexcept {
  const long result = op.result;
  const bool more = op.in_flight;
  std::int32_t buffer = -1;
  if (op.buffer_id >= 0 &&
      pool_->filled(static_cast<std::uint16_t>(op.buffer_id), result, op.buffer_more))
    buffer = op.buffer_id;
  if (!more && result == -ECANCELED && cap_cancelled_) {
    // Stopped because the queue was full; re-armed once it drains.
  } else if (!more && result == -ENOBUFS && multishot_) {
    // The buffer ring ran dry; re-armed at once if the pool can grow, else once a slab
    // comes back.
    if (!pool_->ring_ready()) starve();
  } else {
    const bool owns = buffer >= 0 || (source_ == Source::accept && result >= 0);
    items_.push_back({result, buffer, owns, op.buffer_offset});
  }
  if (!more) cap_cancelled_ = false;
  if (more && items_.size() >= max_queued_ && !cap_cancelled_) {
    cap_cancelled_ = true;
    loop_->io_cancel(op_);
  }
}

void ResultStream::starve() noexcept {
  if (starved_) return;
  starved_ = true;
  pool_->waiting.push(buffer_wait_);
}

// The pool has a buffer again (this stream was the longest waiting for one).
void ResultStream::buffer_available(tide::detail::WaitNode& node) noexcept {
  ResultStream& self = *static_cast<BufferWait&>(node).owner;
  self.starved_ = false;
  self.pump_noexcept();
}

}  // namespace tide::io::detail
