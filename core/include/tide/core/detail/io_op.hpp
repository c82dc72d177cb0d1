#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include <tide/core/detail/intrusive_list.hpp>

namespace tide::detail {

/// One I/O operation handed to the loop's driver. Completion-shaped: the driver performs it
/// (io_uring natively; epoll and poll by waiting for readiness, then doing the non-blocking
/// syscall) and calls `on_complete` exactly once with `result` set. The op lives in the
/// awaiting frame; the driver never touches it after `on_complete` or after `abandon`.
struct IoOp {
  enum class Kind : std::uint8_t {
    read,     // read(fd, buffer, length)
    write,    // write(fd, buffer, length)
    readv,    // readv(fd, iov, iov_count)
    writev,   // writev(fd, iov, iov_count)
    recv,     // recv(fd, buffer, length, flags)
    send,     // send(fd, buffer, length, flags | MSG_NOSIGNAL)
    recvmsg,  // recvmsg(fd, msg, flags)
    sendmsg,  // sendmsg(fd, msg, flags | MSG_NOSIGNAL)
    accept,   // accept4(fd, address, address_length, SOCK_NONBLOCK | SOCK_CLOEXEC)
    connect,  // connect(fd, address, *address_length); result 0 once connected
    poll,     // wait until `poll_events` (POLLIN / POLLOUT / ...) are ready; result = revents
    // Multishot kinds (only where Driver::caps() offers them): one submission completes many
    // times. `on_complete` runs once per completion; `in_flight` is still true when more are
    // coming and false on the last one.
    accept_multishot,  // one accepted fd per completion
    recv_multishot,    // one received chunk per completion, in a buffer of `buffer_group`
  };
  static constexpr std::size_t kind_count = 13;  // keep in step with Kind (Loop::Stats::io)

  Kind kind = Kind::read;
  int fd = -1;
  int flags = 0;                        // recv/send/recvmsg/sendmsg flags
  void* buffer = nullptr;               // read/write/recv/send data; iovec* for readv/writev;
                                        // msghdr* for recvmsg/sendmsg; sockaddr* for accept/connect
  std::size_t length = 0;               // bytes, iovec count, or (connect) the address length
  socklen_t* address_length = nullptr;  // accept: in/out address length (may be null)
  std::uint32_t poll_events = 0;        // poll: the events waited for
  std::uint16_t buffer_group = 0;       // recv_multishot: the provided-buffer group to fill
  std::int32_t buffer_id = -1;          // recv_multishot: the buffer a completion filled (or -1)
  std::uint32_t buffer_offset = 0;      // recv_multishot: where in that buffer its bytes start
  bool buffer_more = false;             // recv_multishot: the kernel goes on filling that buffer
                                        // (an incremental group): it is not the caller's yet

  /// >= 0: bytes transferred, the accepted fd, 0 for connect, revents for poll.
  /// < 0: -errno (-ECANCELED when cancelled before it could complete).
  long result = 0;

  void (*on_complete)(IoOp&) noexcept = nullptr;
  /// Optional: while the op is being abandoned (`on_complete` no longer runs, the op's memory
  /// is still valid), called for each completion that still arrives, instead of the driver
  /// closing the accepted fd or giving the buffer back itself. For owners that keep their own
  /// count of what a buffer holds (several completions share one in an incremental group).
  void (*on_discard)(IoOp&) noexcept = nullptr;

  // ---- driver-private state (valid only while submitted) ---------------------------------
  ListHook<IoOp> hook;          // in the driver's list of ops on `fd`
  std::uint64_t tag = 0;        // io_uring: user_data generation tag
  bool connect_issued = false;  // readiness drivers, connect: connect(2) was called once
  bool fd_closed = false;       // io_uring: tide closed the fd under the op (ends in EBADF)
  std::uint8_t cancels = 0;     // io_uring: cancel requests whose completion is still due
  bool cqe_seen = false;        // io_uring: the op's own completion arrived
  bool in_flight = false;       // submitted and not yet completed

  /// True if the op waits for the fd to become readable (else writable).
  [[nodiscard]] bool wants_read() const noexcept;
};

/// "recv", "accept_multishot", ...: the kind's name in Loop::Stats::io.
const char* io_kind_name(IoOp::Kind kind) noexcept;

/// What a loop's backend offers beyond one-shot operations (probed from the running kernel).
struct IoCaps {
  bool multishot_accept = false;  // IoOp::Kind::accept_multishot
  bool multishot_recv = false;    // IoOp::Kind::recv_multishot and provided-buffer groups
  /// Provided-buffer groups are consumed incrementally (IOU_PBUF_RING_INC, Linux 6.12): a
  /// completion takes only the bytes it received from the buffer at the ring's head, so many
  /// small receives pack into one buffer (see IoOp::buffer_offset, IoOp::buffer_more).
  bool incremental_buffers = false;
};

}  // namespace tide::detail
