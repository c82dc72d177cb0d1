#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <tide/io/detail/result_stream.hpp>
#include <tide/io/fd.hpp>

namespace tide {
class Loop;
}

namespace tide::io {

/// Accepts connections on a listening socket, in arrival order. On io_uring one multishot
/// accept keeps accepting (up to `max_queued` connections ahead of the tasks asking); on
/// epoll and poll each `accept` that finds nothing queued does one accept4(2). Accepted fds
/// are non-blocking and close-on-exec.
///
///     tide::io::Acceptor acceptor(listen_fd);
///     for (;;) tide::spawn(serve(co_await acceptor.accept()));
///
/// Several tasks may wait on one Acceptor; each connection goes to one of them, FIFO.
/// Errors (EMFILE, ...) are thrown as std::system_error by the `accept` that reaches them.
/// Destroying the Acceptor closes connections accepted and not yet claimed. The listening fd
/// stays the caller's and must outlive the Acceptor. Thread safety: loop thread only.
class Acceptor {
 public:
  /// On the loop running on this thread (UsageError if none).
  explicit Acceptor(int listen_fd, std::size_t max_queued = 64);
  Acceptor(Loop& loop, int listen_fd, std::size_t max_queued = 64);
  Acceptor(Acceptor&&) noexcept = default;
  Acceptor& operator=(Acceptor&&) noexcept = default;
  ~Acceptor();

  class AcceptAwaiter : public detail::ResultStream::Awaiter {
   public:
    using Awaiter::Awaiter;
    /// The new connection.
    Fd await_resume();
  };
  [[nodiscard]] AcceptAwaiter accept() noexcept { return AcceptAwaiter(*stream_); }
  /// Without waiting: a connection already accepted and queued, else one accept4(2) (EAGAIN:
  /// nothing). For readiness-driven code (a Selector saying the listener is readable). Errors
  /// as `accept`.
  [[nodiscard]] std::optional<Fd> try_accept();

  [[nodiscard]] int fd() const noexcept { return stream_->fd(); }
  /// Connections accepted and not yet claimed.
  [[nodiscard]] std::size_t queued() const noexcept { return stream_->queued(); }
  [[nodiscard]] bool multishot() const noexcept { return stream_->multishot(); }
  /// How many accept operations were started (see Receiver::arms).
  [[nodiscard]] std::uint64_t arms() const noexcept { return stream_->arms(); }

 private:
  std::unique_ptr<detail::ResultStream> stream_;
};

}  // namespace tide::io
