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
