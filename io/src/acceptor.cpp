#include <tide/io/acceptor.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include <tide/core/loop.hpp>

namespace tide::io {

namespace {
std::unique_ptr<detail::ResultStream> make_stream(tide::detail::LoopCore& loop, int fd,
                                                  std::size_t max_queued) {
  if (max_queued == 0) throw std::invalid_argument("tide::io::Acceptor: max_queued must be >= 1");
  return std::make_unique<detail::ResultStream>(loop, fd, detail::ResultStream::Source::accept,
                                                nullptr, max_queued);
}
}  // namespace

Acceptor::Acceptor(int listen_fd, std::size_t max_queued)
    : stream_(
          make_stream(tide::detail::current_core("tide::io::Acceptor"), listen_fd, max_queued)) {}

Acceptor::Acceptor(Loop& loop, int listen_fd, std::size_t max_queued)
    : stream_(make_stream(loop.core(), listen_fd, max_queued)) {}

Acceptor::~Acceptor() = default;

namespace {
// The accepted connection, or the error, thrown naming `where()` the listener is.
template <class Where>
Fd connection_of(const detail::ResultStream::Item& item, Where where) {
  if (item.result < 0)
    throw std::system_error(static_cast<int>(-item.result), std::system_category(),
                            "tide: accept on " + where());
  return Fd(static_cast<int>(item.result));
}
}  // namespace

Fd Acceptor::AcceptAwaiter::await_resume() {
  return connection_of(Awaiter::await_resume(), [this] { return where(); });
}

std::optional<Fd> Acceptor::try_accept() {
  detail::ResultStream::Item item;
  auto where = [this] { return "fd " + std::to_string(stream_->fd()); };
  if (stream_->take_queued(item)) return connection_of(item, where);
  int fd;
  do {
    fd = ::accept4(stream_->fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  return connection_of({fd < 0 ? -static_cast<long>(errno) : fd, -1}, where);
}

}  // namespace tide::io
