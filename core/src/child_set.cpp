#include <tide/core/detail/child_set.hpp>

#include <string>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/loop_core.hpp>

namespace tide::detail {

void ChildSet::describe_join(WaitInfo& info) const {
  info.what =
      "join of " + std::to_string(running_) + (running_ == 1 ? " child task" : " child tasks");
  if (!children_.empty()) {
    info.blocked_by = children_.front()->job;
    info.what += " (first: " + children_.front()->job->describe() + ")";
  }
  if (deadline_.loop != nullptr && deadline_.armed())
    info.what += " until " + describe_deadline(deadline_.deadline);
}

ChildSet::~ChildSet() {
  if (deadline_.loop) deadline_.loop->remove_timer(deadline_);
  for (auto& child : children_) {
    child->job->unwatch(*child);
    child->job->drop_handle(true);
  }
}

void ChildSet::spawn(LoopCore& loop, Task<void> task, std::size_t index, SourceSite where,
                     std::string name) {
  auto frame = task.release("tide: spawning a child task");
  auto child = std::make_unique<Child>();
  child->on_finished = &child_finished;
  child->set = this;
  child->index = index;
  child->job = new TaskJob(loop, frame, frame.promise(), std::move(name));
  child->job->where = where;
  child->job->watch(*child);
  child->slot = children_.size();
  children_.push_back(std::move(child));
  TaskJob* job = children_.back()->job;
  try {
    job->start();  // frees the job if it throws
  } catch (...) {
    children_.pop_back();
    throw;
  }
  ++running_;
  if (cancelling_) job->request_cancel();
}

void ChildSet::cancel_all() noexcept {
  cancelling_ = true;
  // request_cancel only schedules: no child runs (or finishes) inside this loop.
  for (auto& child : children_)
    child->job->request_cancel();
}

void ChildSet::arm_deadline(LoopCore& loop, Clock::time_point deadline) {
  if (running_ == 0) return;
  deadline_.set = this;
  deadline_.loop = &loop;
  deadline_.deadline = deadline;
  deadline_.fire = &deadline_passed;
  loop.add_timer(deadline_);
}

void ChildSet::deadline_passed(TimerNode& t) noexcept {
  ChildSet& set = *static_cast<Deadline&>(t).set;
  set.timed_out_ = true;
  set.cancel_all();
}

void ChildSet::child_finished(JoinWatcher& w) noexcept {
  auto& child = static_cast<Child&>(w);
  ChildSet& set = *child.set;
  TaskJob* job = child.job;
  const bool cancelled = job->ended_cancelled();
  if (cancelled) set.some_cancelled_ = true;
  if (set.policy_ == Policy::all) {
    if (!cancelled && job->exception() && !set.failure_) {
      set.failure_ = job->exception();
      set.cancel_all();
    }
  } else if (!cancelled && set.winner_ < 0) {
    set.winner_ = static_cast<long>(child.index);
    set.failure_ = job->exception();
    set.cancel_all();
  }
  job->result_taken = true;  // the outcome was looked at: nothing to report as unhandled
  // Swap-remove: finishing N children costs O(N), not O(N^2). This destroys `child`.
  const std::size_t slot = child.slot;
  std::swap(set.children_[slot], set.children_.back());
  set.children_[slot]->slot = slot;
  set.children_.pop_back();
  job->drop_handle(false);  // finished: frees the frame
  if (--set.running_ == 0) {
    if (set.deadline_.loop) set.deadline_.loop->remove_timer(set.deadline_);
    if (Join* joiner = std::exchange(set.joiner_, nullptr)) joiner->wake();
  }
}

void ChildSet::raise_outcome(Job* awaiting) {
  const bool incomplete_results = incomplete();
  std::exception_ptr failure = std::exchange(failure_, nullptr);
  const bool forwarded = std::exchange(forwarded_, false);
  const bool timed_out = std::exchange(timed_out_, false);
  const long winner = winner_;  // kept: when_any reads it after the join
  some_cancelled_ = false;
  cancelling_ = false;

  if (policy_ == Policy::all && failure) std::rethrow_exception(failure);
  if (forwarded && incomplete_results) {
    if (awaiting)
      awaiting->throw_cancelled();
    else
      throw Cancelled();
  }
  if (timed_out && incomplete_results) throw TimeoutError();
  if (policy_ == Policy::any) {
    if (failure) std::rethrow_exception(failure);
    if (winner < 0) throw Cancelled();
  }
}

}  // namespace tide::detail
