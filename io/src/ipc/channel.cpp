#include <tide/io/channel.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <tide/core/errors.hpp>
#include <tide/io/ops.hpp>

namespace tide::io {

namespace {

// Bytes asked of the kernel per read when the frame needs fewer: small messages that arrive
// together are then taken in one recv.
constexpr std::size_t read_chunk = 64 * 1024;

std::pair<int, int> make_socketpair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
    throw std::system_error(errno, std::system_category(), "tide::Channel: socketpair");
  return {fds[0], fds[1]};
}

}  // namespace

std::pair<Channel, Channel> Channel::pair() {
  auto [a, b] = make_socketpair();
  return {Channel(a, true, true), Channel(b, true, true)};
}

std::pair<Channel, Channel> Channel::one_way() {
  // A socketpair with each end shut in the direction it does not use (rather than a pipe):
  // sends then always go through send(MSG_NOSIGNAL), so a gone reader is EPIPE, never SIGPIPE.
  auto [r, w] = make_socketpair();
  Channel reader(r, true, false);
  Channel writer(w, false, true);
  if (::shutdown(r, SHUT_WR) < 0 || ::shutdown(w, SHUT_RD) < 0)
    throw std::system_error(errno, std::system_category(), "tide::Channel::one_way: shutdown");
  return {std::move(reader), std::move(writer)};
}

Channel::Channel(int fd, bool can_read, bool can_write) : state_(std::make_unique<State>()) {
  state_->fd.reset(fd);
  state_->can_read = can_read;
  state_->can_write = can_write;
}

Channel::~Channel() = default;

void Channel::close() noexcept {
  if (state_) state_->fd.close();
}

Channel::State& Channel::usable(const char* operation, bool for_send) const {
  if (closed())
    throw UsageError(std::string("tide::Channel::") + operation + " on a closed channel");
  if (for_send && !state_->can_write)
    throw UsageError(std::string("tide::Channel::") + operation +
                     " on the reading end of a one-way channel");
  if (!for_send && !state_->can_read)
    throw UsageError(std::string("tide::Channel::") + operation +
                     " on the writing end of a one-way channel");
  if (for_send && state_->send_broken)
    throw ChannelError("tide::Channel::" + std::string(operation) +
                       ": an earlier send was cancelled in the middle of a message, so the "
                       "stream is broken");
  return *state_;
}

Task<void> Channel::send_bytes(std::span<const std::byte> data) {
  std::string frame(header_size, '\0');
  frame.append(reinterpret_cast<const char*>(data.data()), data.size());
  return send_frame(std::move(frame));
}

Task<void> Channel::send_frame(std::string frame) {
  State& s = usable("send", true);
  const std::uint64_t length = frame.size() - header_size;
  std::memcpy(frame.data(), &length, header_size);
  if (!s.sending.free())
    co_await s.sending.wait();
  else
    s.sending.take();
  detail::TurnGuard turn(s.sending);
  std::span<const std::byte> rest = std::as_bytes(std::span(frame.data(), frame.size()));
  try {
    while (!rest.empty())
      rest = rest.subspan(co_await io::send(s.fd.get(), rest));
  } catch (...) {
    // Part of the frame is in the peer's stream: no later frame could be told apart from it.
    if (rest.size() != frame.size()) s.send_broken = true;
    throw;
  }
}

Task<Channel::FrameView> Channel::next_frame() {
  State& s = usable("recv", false);
  if (!s.receiving.free())
    co_await s.receiving.wait();
  else
    s.receiving.take();
  try {
    // Buffers at least `want` unread bytes; false at end of stream before any of them.
    auto fill = [&s](std::size_t want) -> Task<bool> {
      while (s.inbox.size() - s.head < want) {
        if (s.head > 0 && s.head * 2 >= s.inbox.size()) {  // drop what was handed out
          s.inbox.erase(0, s.head);
          s.head = 0;
        }
        const std::size_t have = s.inbox.size();
        const std::size_t missing = want - (have - s.head);
        s.inbox.resize(have + std::max(missing, read_chunk));
        std::size_t n = 0;
        try {
          n = co_await io::recv(s.fd.get(), std::as_writable_bytes(std::span(
                                                s.inbox.data() + have, s.inbox.size() - have)));
        } catch (const std::system_error& e) {
          s.inbox.resize(have);
          // A Unix socket whose peer closed with bytes of ours still unread reports
          // ECONNRESET instead of the end of the stream; for a channel both mean "closed".
          if (e.code() != std::error_code(ECONNRESET, std::system_category())) throw;
        } catch (...) {
          s.inbox.resize(have);
          throw;
        }
        if (n == 0) {
          s.inbox.resize(have);
          co_return false;
        }
        s.inbox.resize(have + n);
      }
      co_return true;
    };
    // Named first: g++ 12 can drop the body of a coroutine with `if (co_await x)` (docs/guide).
    const bool got_header = co_await fill(header_size);
    if (!got_header) {
      if (s.inbox.size() == s.head)
        throw ChannelClosed("tide::Channel::recv: the other end is closed (end of stream)");
      throw ChannelError("tide::Channel::recv: the stream ended inside a message's header (" +
                         std::to_string(s.inbox.size() - s.head) + " of " +
                         std::to_string(header_size) +
                         " bytes): the sender died or closed "
                         "in the middle of a message");
    }
    std::uint64_t length = 0;
    std::memcpy(&length, s.inbox.data() + s.head, header_size);
    if (length > max_message_size)
      throw ChannelError("tide::Channel::recv: a message header announces " +
                         std::to_string(length) +
                         " bytes, more than max_message_size: the "
                         "stream was not written by a tide::Channel");
    const bool got_message = co_await fill(header_size + length);
    if (!got_message)
      throw ChannelError("tide::Channel::recv: the stream ended inside a message (" +
                         std::to_string(s.inbox.size() - s.head - header_size) + " of " +
                         std::to_string(length) +
                         " bytes): the sender died or closed in the "
                         "middle of a message");
    co_return FrameView{std::string_view(s.inbox.data() + s.head + header_size, length)};
  } catch (...) {
    s.receiving.release();
    throw;
  }
}

void Channel::consume_frame(const FrameView& frame) noexcept {
  State& s = *state_;
  s.head += header_size + frame.bytes.size();
  if (s.head == s.inbox.size()) {
    s.inbox.clear();
    s.head = 0;
  }
  s.receiving.release();
}

Task<std::string> Channel::recv_bytes() {
  const FrameView frame = co_await next_frame();
  std::string bytes(frame.bytes);
  consume_frame(frame);
  co_return bytes;
}

}  // namespace tide::io
