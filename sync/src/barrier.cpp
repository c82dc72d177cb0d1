#include <tide/sync/barrier.hpp>

#include <stdexcept>
#include <string>

#include <tide/core/detail/describe.hpp>

namespace tide {

Barrier::Barrier(std::size_t parties)
    // A released party that is destroyed before it resumes has nothing to pass on: the round
    // is over, and the queue's default (wake the next waiter) would release a party of the
    // next round early. Hence a hook that does nothing.
    : waiters_({.owner = this, .unclaimed = &Barrier::unclaimed, .describe = &Barrier::describe}),
      parties_(parties) {
  if (parties == 0) throw std::invalid_argument("tide::Barrier: parties must be at least 1");
}

void Barrier::describe(const void* self, detail::WaitInfo& info) {
  const auto& barrier = *static_cast<const Barrier*>(self);
  info.what = "Barrier " + detail::describe_address(&barrier) + " wait (" +
              std::to_string(barrier.waiters_.size()) + " of " + std::to_string(barrier.parties_) +
              " arrived)";
}

bool Barrier::arrive(Arrival& self) noexcept {
  if (waiters_.size() + 1 < parties_) return false;  // wait for the others
  // The round completes: hand each waiting party its index, in arrival order, then wake it.
  std::size_t index = 0;
  while (detail::WaitNode* node = waiters_.front()) {
    static_cast<Arrival&>(static_cast<detail::WaitQueue::Awaiter&>(*node)).index_ = index++;
    waiters_.wake_one();
  }
  self.index_ = index;  // parties_ - 1
  return true;
}

}  // namespace tide
