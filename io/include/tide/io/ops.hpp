#pragma once

#include <cstddef>
#include <span>

#include <tide/io/detail/io_awaiter.hpp>

namespace tide::io {

/// Awaitable primitives on any non-blocking fd the loop's backend can watch (pipes, sockets,
/// ttys, eventfds...). The object types (Pipe, sockets) are built on these.
/// Each resumes the awaiting task with the syscall's result and throws std::system_error on
/// failure. Cancellation: see detail::IoAwaiter (the operation is withdrawn from the backend
/// before the task resumes with `Cancelled`). Thread safety: loop thread only.

/// read(2): bytes read, 0 at end of file.
[[nodiscard]] inline detail::IoResult<std::size_t> read(int fd,
                                                        std::span<std::byte> buffer) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::read;
  op.fd = fd;
  op.buffer = buffer.data();
  op.length = buffer.size();
  return detail::IoResult<std::size_t>(op);
}

/// write(2): bytes written (possibly fewer than given).
[[nodiscard]] inline detail::IoResult<std::size_t> write(int fd,
                                                         std::span<const std::byte> data) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::write;
  op.fd = fd;
  op.buffer = const_cast<std::byte*>(data.data());  // only read from by the syscall
  op.length = data.size();
  return detail::IoResult<std::size_t>(op);
}

/// recv(2) on a socket: bytes received, 0 once the peer shut down its side.
[[nodiscard]] inline detail::IoResult<std::size_t> recv(int fd, std::span<std::byte> buffer,
                                                        int flags = 0) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::recv;
  op.fd = fd;
  op.flags = flags;
  op.buffer = buffer.data();
  op.length = buffer.size();
  return detail::IoResult<std::size_t>(op);
}

/// send(2) on a socket (MSG_NOSIGNAL is always added: a closed peer gives EPIPE, never
/// SIGPIPE): bytes sent, possibly fewer than given.
[[nodiscard]] inline detail::IoResult<std::size_t> send(int fd, std::span<const std::byte> data,
                                                        int flags = 0) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::send;
  op.fd = fd;
  op.flags = flags;
  op.buffer = const_cast<std::byte*>(data.data());  // only read from by the syscall
  op.length = data.size();
  return detail::IoResult<std::size_t>(op);
}

/// recvmsg(2) into `*message` (which, with its buffers, must outlive the operation).
[[nodiscard]] inline detail::IoResult<std::size_t> recvmsg(int fd, msghdr& message,
                                                           int flags = 0) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::recvmsg;
  op.fd = fd;
  op.flags = flags;
  op.buffer = &message;
  return detail::IoResult<std::size_t>(op);
}

/// sendmsg(2) of `message` (MSG_NOSIGNAL added).
[[nodiscard]] inline detail::IoResult<std::size_t> sendmsg(int fd, const msghdr& message,
                                                           int flags = 0) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::sendmsg;
  op.fd = fd;
  op.flags = flags;
  op.buffer = const_cast<msghdr*>(&message);
  return detail::IoResult<std::size_t>(op);
}

/// accept4(2) on a listening socket: the new connection's fd, non-blocking and close-on-exec,
/// owned by the returned Fd. `address` (may be null) receives the peer's address.
/// Awaiting it yields an int fd; wrap it in an Fd at once.
[[nodiscard]] inline detail::IoResult<int> accept(int fd, sockaddr* address = nullptr,
                                                  socklen_t* address_length = nullptr) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::accept;
  op.fd = fd;
  op.buffer = address;
  op.address_length = address_length;
  return detail::IoResult<int>(op);
}

/// connect(2) of a non-blocking socket; completes once connected (or failed).
[[nodiscard]] inline detail::IoResult<int> connect(int fd, const sockaddr* address,
                                                   socklen_t length) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::connect;
  op.fd = fd;
  op.buffer = const_cast<sockaddr*>(address);
  op.length = length;
  return detail::IoResult<int>(op);
}

/// readv(2) into `buffers`.
[[nodiscard]] inline detail::IoResult<std::size_t> readv(int fd,
                                                         std::span<const iovec> buffers) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::readv;
  op.fd = fd;
  op.buffer = const_cast<iovec*>(buffers.data());
  op.length = buffers.size();
  return detail::IoResult<std::size_t>(op);
}

/// writev(2) from `buffers`.
[[nodiscard]] inline detail::IoResult<std::size_t> writev(int fd,
                                                          std::span<const iovec> buffers) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::writev;
  op.fd = fd;
  op.buffer = const_cast<iovec*>(buffers.data());
  op.length = buffers.size();
  return detail::IoResult<std::size_t>(op);
}

/// Waits until `events` (POLLIN, POLLOUT, ...) are ready on `fd`; returns the ready events
/// (POLLERR / POLLHUP included when they occur).
[[nodiscard]] inline detail::IoResult<unsigned> wait_ready(int fd, unsigned events) noexcept {
  detail::IoOp op;
  op.kind = detail::IoOp::Kind::poll;
  op.fd = fd;
  op.poll_events = events;
  return detail::IoResult<unsigned>(op);
}

}  // namespace tide::io
