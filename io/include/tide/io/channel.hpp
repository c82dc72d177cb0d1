#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <tide/core/task.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/detail/turn.hpp>
#include <tide/io/fd.hpp>

namespace tide::io {

/// Raised by `Channel::recv` once the other end is closed and every message it sent has been
/// received (Python's EOFError from `Connection.recv`).
class ChannelClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Raised when the byte stream under a Channel is not a whole sequence of frames: the peer
/// died (or closed) in the middle of a message, or what arrived was not written by a Channel.
class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A message channel between processes, like Python's `multiprocessing.Pipe()`:
///
///     auto [parent_end, child_end] = tide::Channel::pair();     // before fork
///     // in the child:  parent_end.close(); co_await child_end.send(std::vector<int>{1, 2});
///     // in the parent: child_end.close();
///     //                auto v = co_await parent_end.recv<std::vector<int>>();
///
/// Messages are values encoded with tide's codec (io/codec.hpp: cereal binary; `send` and
/// `recv<T>` must name the same type) or raw bytes (`send_bytes`, `recv_bytes`), each framed
/// with an 8-byte length, so a message of any size arrives whole and alone. `pair()` is duplex
/// (a socketpair: both ends send and receive); `one_way()` gives (reader, writer).
/// `recv` raises ChannelClosed once the other end is closed (in every process that held it)
/// and its messages are drained; a message cut short by the peer's death raises ChannelError,
/// never a truncated value. Sending to a closed peer raises std::system_error (EPIPE).
///
/// Several tasks or fibres of one process may send (or receive) on one Channel at once: they
/// take turns in FIFO order, one whole message each. Two *processes* must not send on the
/// same end at once (their frames could interleave), nor receive from the same end: give
/// each pair of processes its own Channel, or use ProcessQueue for many-to-many.
/// The fds are non-blocking and close-on-exec.
/// Cancellation: a cancelled `recv` loses nothing (bytes already read stay buffered for the
/// next `recv`). A `send` cancelled after part of its frame was written would leave the peer
/// a broken stream, so the channel then refuses further sends (ChannelError).
/// Thread safety: one loop; hand the Channel to a child process before it uses it.
class Channel {
 public:
  /// Largest message `recv` accepts (a larger length is taken as a corrupt stream).
  static constexpr std::uint64_t max_message_size = std::uint64_t{1} << 40;

  /// A duplex pair of connected ends. Throws std::system_error (EMFILE, ...).
  [[nodiscard]] static std::pair<Channel, Channel> pair();
  /// A one-way pair: (reader, writer), as `multiprocessing.Pipe(duplex=False)`.
  [[nodiscard]] static std::pair<Channel, Channel> one_way();

  /// A closed channel (every operation throws).
  Channel() noexcept = default;
  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept = default;
  ~Channel();

  /// Awaitable: sends `value` as one message (encoded before the call returns, so `value`
  /// need not outlive it). Throws std::system_error (EPIPE when the peer is gone).
  /// Cancellation: see the class comment.
  /// Thread safety: the channel's loop only.
  template <class T>
  [[nodiscard]] Task<void> send(const T& value) {
    std::string frame(header_size, '\0');
    encode_append(frame, value);
    return send_frame(std::move(frame));
  }

  /// Awaitable: receives the next message, decoded as a `T`. Throws ChannelClosed at the end,
  /// ChannelError on a cut-off frame, CodecError when the message is not a `T` (the message
  /// is consumed either way).
  /// Cancellation: nothing is lost (see the class comment).
  /// Thread safety: the channel's loop only.
  template <class T>
  [[nodiscard]] Task<T> recv() {
    detail::check_serializable<T>();
    const FrameView frame = co_await next_frame();
    T value{};
    try {
      const std::size_t used = decode_into(frame.bytes, value);
      if (used != frame.bytes.size())
        throw CodecError("tide::Channel::recv: " + std::to_string(frame.bytes.size() - used) +
                         " bytes left over after decoding the message");
    } catch (...) {
      consume_frame(frame);
      throw;
    }
    consume_frame(frame);
    co_return value;
  }

  /// Awaitable: sends `data` as one message (copied before the call returns).
  [[nodiscard]] Task<void> send_bytes(std::span<const std::byte> data);
  [[nodiscard]] Task<void> send_bytes(std::string_view data) {
    return send_bytes(std::as_bytes(std::span(data.data(), data.size())));
  }
  /// Awaitable: the next message's bytes. Errors and cancellation as `recv`.
  [[nodiscard]] Task<std::string> recv_bytes();

  /// Closes this end (in this process). The peer's `recv` raises ChannelClosed once every
  /// process holding this end has closed it. Waiting operations must be over first.
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return state_ == nullptr || !state_->fd.valid(); }
  [[nodiscard]] bool readable() const noexcept { return !closed() && state_->can_read; }
  [[nodiscard]] bool writable() const noexcept { return !closed() && state_->can_write; }
  /// The socket (for a Selector or wait_ready), or -1 once closed.
  [[nodiscard]] int fd() const noexcept { return closed() ? -1 : state_->fd.get(); }

 private:
  static constexpr std::size_t header_size = sizeof(std::uint64_t);

  struct State {
    Fd fd;
    bool can_read = false;
    bool can_write = false;
    bool send_broken = false;  // a send was cut off mid-frame: the stream is unusable
    detail::Turn sending;      // one frame written at a time
    detail::Turn receiving;    // one frame read at a time
    // Bytes read and not yet handed out: [head, inbox.size()) is unread. Keeping them here,
    // not in a recv's frame, is what makes a cancelled recv lose nothing.
    std::string inbox;
    std::size_t head = 0;
  };
  struct FrameView {
    std::string_view bytes;  // the message (header excluded), inside State::inbox
  };

  Channel(int fd, bool can_read, bool can_write);
  State& usable(const char* operation, bool for_send) const;
  /// Sends `frame`, whose first header_size bytes are left for the length.
  [[nodiscard]] Task<void> send_frame(std::string frame);
  /// Buffers the next whole frame (taking the receiving turn, kept until consume_frame).
  [[nodiscard]] Task<FrameView> next_frame();
  void consume_frame(const FrameView& frame) noexcept;

  std::unique_ptr<State> state_;  // on the heap: the turns' wait queues point into it
};

}  // namespace tide::io

namespace tide {
using io::Channel;
using io::ChannelClosed;
using io::ChannelError;
}  // namespace tide
