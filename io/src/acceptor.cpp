#include <tide/io/acceptor.hpp>

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

Fd Acceptor::AcceptAwaiter::await_resume() {
  const detail::ResultStream::Item item = Awaiter::await_resume();
  if (item.result < 0)
    throw std::system_error(static_cast<int>(-item.result), std::system_category(),
                            "tide: accept on " + where());
  return Fd(static_cast<int>(item.result));
}

}  // namespace tide::io
