#include <tide/sync/detail/thread_wait.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include <tide/core/detail/describe.hpp>

#include <tide/core/errors.hpp>

namespace tide::detail {

void signal(CrossList& list, CrossNode& node, CrossState state) noexcept {
  if (CrossList::linked(node)) list.remove(node);
  node.state = state;
  if (node.cv != nullptr) {
    node.cv->notify_one();
    return;
  }
  try {
    node.remote->post([keep = node.shared_from_this()] {
      if (keep->awaiter != nullptr) keep->on_woken(keep->awaiter);
    });
  } catch (const LoopClosed&) {
    // The waiter's loop is being destroyed: it destroys the waiter's frame too, and the
    // awaiter's destructor gives back what the node was handed (we hold the mutex it takes).
  }
}

void signal_all(CrossList& list, CrossState state) noexcept {
  while (CrossNode* node = list.front())
    signal(list, *node, state);
}

CrossState block_thread(std::unique_lock<std::mutex>& lock, CrossList& list, CrossNode& node,
                        std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::condition_variable cv;
  node.cv = &cv;
  list.push_back(node);
  const auto signalled = [&] { return node.state != CrossState::waiting; };
  if (!deadline) {
    cv.wait(lock, signalled);
  } else if (!cv.wait_until(lock, *deadline, signalled)) {
    list.remove(node);
    node.state = CrossState::left;
  }
  return node.state;
}

void check_may_block(const char* type, const void* object, const char* operation) {
  if (Loop* loop = Loop::try_current())
    throw UsageError(describe_object(type, object) + ": " + operation +
                     " would block the loop running on this thread (" +
                     describe_object("tide::Loop", loop) +
                     "): co_await it in a task, or tide::await it in a fibre");
}

void CrossAwaiter::describe(const Waiter& w, WaitInfo& info) {
  const auto& self = static_cast<const CrossAwaiter&>(w);
  info.what = describe_object(self.what_, self.owner_);
  if (self.TimerNode::armed()) info.what += " until " + describe_deadline(self.deadline);
}

CrossAwaiter::~CrossAwaiter() {
  disarm();
  if (!node_) return;
  if (!resumed_) {
    // Destroyed while queued, or woken but never resumed (its frame went with its loop, or
    // its fibre was unwound): nothing may be lost with it.
    std::lock_guard lock(*mutex_);
    withdraw_locked();
  }
  node_->awaiter = nullptr;
}

CrossState CrossAwaiter::finish() {
  resumed_ = true;
  if (cancelled_) job->throw_cancelled();
  if (timed_out_) return CrossState::left;
  // Read without the mutex: a signal's last write to the node happens before the post that
  // resumed us (the loop's inbox lock orders them), and nothing writes it afterwards.
  return node_ ? node_->state : CrossState::waiting;
}

void CrossAwaiter::woken(void* self) noexcept {
  auto& a = *static_cast<CrossAwaiter*>(self);
  a.node_->awaiter = nullptr;
  a.disarm();
  a.wake();
}

void CrossAwaiter::cancelled(Waiter& w) noexcept {
  auto& a = static_cast<CrossAwaiter&>(w);
  {
    std::lock_guard lock(*a.mutex_);
    if (!a.withdraw_locked()) return;  // the wake-up stands: its posted callback resumes us
  }
  a.node_->awaiter = nullptr;
  a.disarm();
  a.cancelled_ = true;
  a.resume_cancelled();
}

void CrossAwaiter::expired(TimerNode& timer) noexcept {
  auto& a = static_cast<CrossAwaiter&>(timer);
  {
    std::lock_guard lock(*a.mutex_);
    if (!CrossList::linked(*a.node_)) return;  // already handed something: the value wins
    a.list_->remove(*a.node_);
    a.node_->state = CrossState::left;
  }
  a.node_->awaiter = nullptr;
  a.timed_out_ = true;
  a.wake();
}

bool CrossAwaiter::withdraw_locked() noexcept {
  CrossNode& n = *node_;
  if (CrossList::linked(n)) {
    list_->remove(n);
    n.state = CrossState::left;
    return true;
  }
  if (n.state == CrossState::woken && give_back_ != nullptr && give_back_(owner_, n)) {
    n.state = CrossState::left;
    return true;
  }
  return false;
}

void CrossAwaiter::disarm() noexcept {
  if (TimerNode::armed()) job->loop->remove_timer(*this);
}

}  // namespace tide::detail
