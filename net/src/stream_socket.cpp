#include <tide/net/stream_socket.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/timer.hpp>
#include <tide/net/errors.hpp>

#include "net/src/system.hpp"

namespace tide::net {

namespace detail {

/// A stream's deadline and idle timeout, made when first set: one timer that fires at the
/// earlier of the two and shuts the connection down, so whatever is pending ends at once.
struct StreamDeadline {
  using Clock = StreamSocket::Clock;
  StreamDeadline(Loop& owner, int socket) : timer(owner), loop(&owner), fd(socket) {}

  [[nodiscard]] Clock::time_point due() const noexcept {
    if (idle.count() <= 0) return fixed;
    return std::min(fixed, last_activity + std::chrono::duration_cast<Clock::duration>(idle));
  }
  void rearm() {
    if (expired) return;
    if (due() == Clock::time_point::max()) {
      timer.cancel();
      return;
    }
    timer.start_at(due(), [this] { fire(); });
  }
  void fire() {
    if (loop->now() < due()) {  // activity since it was armed moved the idle deadline
      rearm();
      return;
    }
    expire();
  }
  void expire() noexcept {
    expired = true;
    timer.cancel();
    ::shutdown(fd, SHUT_RDWR);  // pending reads see the end, pending writes EPIPE
  }

  Timer timer;
  Loop* loop;
  int fd;
  Clock::time_point fixed = Clock::time_point::max();
  std::chrono::nanoseconds idle{0};
  Clock::time_point last_activity;
  bool expired = false;
};

}  // namespace detail

StreamSocket::StreamSocket() noexcept = default;
StreamSocket::StreamSocket(io::Fd fd) noexcept : Socket(std::move(fd)) {}
StreamSocket::StreamSocket(StreamSocket&& other) noexcept
    : Socket(std::move(other)),
      receiver_(std::move(other.receiver_)),
      deadline_(std::move(other.deadline_)) {
  other.receiver_.reset();  // a moved-from optional stays engaged
}
StreamSocket::~StreamSocket() = default;

StreamSocket& StreamSocket::operator=(StreamSocket&& other) noexcept {
  if (this != &other) {
    close();
    receiver_ = std::move(other.receiver_);
    other.receiver_.reset();
    deadline_ = std::move(other.deadline_);
    fd_ = std::move(other.fd_);
  }
  return *this;
}

StreamSocket::ReadAwaiter StreamSocket::read_some(std::span<std::byte> buffer) noexcept {
  tide::detail::IoOp op;
  op.kind = tide::detail::IoOp::Kind::recv;
  op.fd = fd_.get();
  op.buffer = buffer.data();
  op.length = buffer.size();
  return ReadAwaiter(*this, op);
}

StreamSocket::WriteAwaiter StreamSocket::write_some(std::span<const std::byte> data) noexcept {
  tide::detail::IoOp op;
  op.kind = tide::detail::IoOp::Kind::send;
  op.fd = fd_.get();
  op.buffer = const_cast<std::byte*>(data.data());  // only read from by the syscall
  op.length = data.size();
  return WriteAwaiter(*this, op);
}

std::optional<std::size_t> StreamSocket::try_read_some(std::span<std::byte> buffer) {
  if (receiver_)
    throw UsageError(
        "tide::net::StreamSocket::try_read_some: the stream is read through receive(); use "
        "one way of reading per stream");
  after_io(false);  // a deadline that passed ends this call as it ends an awaited read
  const int fd = fd_.get();
  const auto count = detail::unless_it_would_block("StreamSocket::try_read_some", fd, [&] {
    return ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  });
  if (count) after_io(*count > 0);
  return count;
}

std::optional<std::size_t> StreamSocket::try_write_some(std::span<const std::byte> data) {
  after_io(false);
  const int fd = fd_.get();
  const auto count = detail::unless_it_would_block("StreamSocket::try_write_some", fd, [&] {
    return ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  });
  if (count) after_io(*count > 0);
  return count;
}

Task<void> StreamSocket::read_exact(std::span<std::byte> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    const std::size_t n = co_await read_some(buffer.subspan(done));
    if (n == 0)
      throw EndOfStream("tide::net::StreamSocket::read_exact: the stream ended after " +
                            std::to_string(done) + " of " + std::to_string(buffer.size()) +
                            " bytes",
                        done);
    done += n;
  }
}

Task<void> StreamSocket::write_all(std::span<const std::byte> data) {
  while (!data.empty())
    data = data.subspan(co_await write_some(data));
}

Task<void> StreamSocket::write_all(std::string_view text) {
  return write_all(std::as_bytes(std::span(text.data(), text.size())));
}

io::Receiver& StreamSocket::receiver() {
  if (!receiver_) {
    // As read_some: every operation on a closed stream fails with EBADF.
    if (!fd_) detail::throw_errno(EBADF, "tide::net::StreamSocket::receive: the stream is closed");
    receiver_.emplace(fd_.get(), io::BufferPool::shared());
  }
  return *receiver_;
}

StreamSocket::ReceiveAwaiter StreamSocket::receive() {
  return ReceiveAwaiter(*this, receiver().receive());
}

void StreamSocket::use_pool(const io::BufferPool& pool, std::size_t max_queued) {
  check_open("tide::net::StreamSocket", "use_pool");
  if (receiver_ && receiver_->queued() > 0)
    throw UsageError("tide::net::StreamSocket::use_pool: chunks are already queued");
  receiver_.emplace(fd_.get(), pool, max_queued);
}

void StreamSocket::shutdown(ShutdownHow how) {
  const int native = how == ShutdownHow::read    ? SHUT_RD
                     : how == ShutdownHow::write ? SHUT_WR
                                                 : SHUT_RDWR;
  if (::shutdown(fd_.get(), native) != 0)
    detail::throw_errno("tide::net::StreamSocket::shutdown of fd " + std::to_string(fd_.get()));
}

void StreamSocket::close() noexcept {
  receiver_.reset();  // its waiting readers get EBADF; its operation is withdrawn
  deadline_.reset();
  fd_.close();  // pending operations end with EBADF
}

SocketAddress StreamSocket::peer_address() const {
  return detail::peer_address_of(fd_.get());
}

void StreamSocket::set_deadline(Clock::time_point deadline) {
  check_open("tide::net::StreamSocket", "set_deadline");
  if (!deadline_) deadline_ = std::make_unique<detail::StreamDeadline>(Loop::current(), fd_.get());
  deadline_->fixed = deadline;
  if (deadline <= deadline_->loop->now())
    deadline_->expire();
  else
    deadline_->rearm();
}

void StreamSocket::clear_deadline() noexcept {
  if (!deadline_ || deadline_->expired) return;
  deadline_->fixed = Clock::time_point::max();
  try {
    deadline_->rearm();
  } catch (...) {
    // Re-arming an idle timeout cannot fail for lack of memory (the timer is intrusive).
  }
}

void StreamSocket::set_idle_timeout(std::chrono::nanoseconds timeout) {
  check_open("tide::net::StreamSocket", "set_idle_timeout");
  if (!deadline_) deadline_ = std::make_unique<detail::StreamDeadline>(Loop::current(), fd_.get());
  deadline_->idle = timeout;
  deadline_->last_activity = deadline_->loop->now();
  deadline_->rearm();
}

bool StreamSocket::timed_out() const noexcept {
  return deadline_ && deadline_->expired;
}

void StreamSocket::after_io(bool moved_bytes) const {
  if (!deadline_) return;
  if (deadline_->expired)
    throw TimeoutError("tide::net: the connection's deadline passed (fd " +
                       std::to_string(fd_.get()) + " shut down)");
  if (moved_bytes) deadline_->last_activity = deadline_->loop->now();
}

}  // namespace tide::net
