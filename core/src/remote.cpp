#include <tide/core/loop.hpp>

#include <utility>

#include "core/src/inbox.hpp"

namespace tide {

Loop::Remote::Remote(std::shared_ptr<detail::Inbox> inbox) noexcept : inbox_(std::move(inbox)) {
  inbox_->remotes.fetch_add(1, std::memory_order_acq_rel);
}
Loop::Remote::Remote(const Remote& other) noexcept : Remote(other.inbox_) {}
Loop::Remote::Remote(Remote&& other) noexcept : inbox_(std::move(other.inbox_)) {}
Loop::Remote& Loop::Remote::operator=(Remote other) noexcept {
  std::swap(inbox_, other.inbox_);
  return *this;
}
Loop::Remote::~Remote() {
  if (inbox_) inbox_->release_remote();
}
void Loop::Remote::post_callback(detail::Callback fn) {
  if (!inbox_) throw UsageError("tide::Loop::Remote::post on a moved-from Remote");
  inbox_->post(std::move(fn));
}
void Loop::Remote::stop() {
  if (!inbox_) throw UsageError("tide::Loop::Remote::stop on a moved-from Remote");
  // Runs on the loop thread, inside that loop's iteration, so the current loop is the one.
  inbox_->post([] { Loop::current().stop(); });
}

}  // namespace tide
