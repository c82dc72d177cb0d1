#include <tide/io/receiver.hpp>

#include <stdexcept>
#include <system_error>

#include "io/src/pool_state.hpp"

namespace tide::io {

Receiver::Receiver(int fd, const BufferPool& pool, std::size_t max_queued) {
  if (max_queued == 0) throw std::invalid_argument("tide::io::Receiver: max_queued must be >= 1");
  stream_ = std::make_unique<detail::ResultStream>(
      *pool.state_->loop, fd, detail::ResultStream::Source::recv, pool.state_, max_queued);
}

Receiver::~Receiver() = default;

Chunk Receiver::ReceiveAwaiter::await_resume() {
  const detail::ResultStream::Item item = Awaiter::await_resume();
  if (item.result < 0)
    throw std::system_error(static_cast<int>(-item.result), std::system_category(),
                            "tide: recv from " + where());
  return stream().chunk(item);
}

}  // namespace tide::io
