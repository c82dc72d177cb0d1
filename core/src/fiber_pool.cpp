#include <tide/core/fiber_pool.hpp>

#include <stdexcept>
#include <string>

namespace tide {

FiberPool::FiberPool(std::size_t size, FiberOptions options)
    : size_(size), options_(std::move(options)) {
  if (size == 0) throw std::invalid_argument("tide::FiberPool: size must be at least 1");
}

FiberPool::FiberPool(Loop& loop, std::size_t size, FiberOptions options)
    : FiberPool(size, std::move(options)) {
  loop_ = &loop.core();
}

FiberPool::~FiberPool() {
  while (Member* m = members_.pop_front()) {
    m->job->unwatch(*m);
    m->job->drop_handle(/*cancel=*/true);  // kills it; it frees itself when done
    delete m;
  }
}

detail::LoopCore& FiberPool::bind(const char* what) {
  if (loop_ == nullptr) loop_ = &detail::current_core(what);
  return *loop_;
}

bool FiberPool::slot_free(const void* pool) noexcept {
  const auto& self = *static_cast<const FiberPool*>(pool);
  return self.taken_ < self.size_ && self.slot_waiters_.empty();
}

bool FiberPool::idle(const void* pool) noexcept {
  return static_cast<const FiberPool*>(pool)->taken_ == 0;
}

void FiberPool::acquire_slot() {
  for (;;) {
    if (slot_free(this)) {
      ++taken_;
      return;
    }
    // A fibre that ends hands its slot straight to the first waiter (taken_ stays).
    if (detail::block_on(*loop_, slot_waiters_.wait(&slot_free, this), "tide::FiberPool::spawn") ==
        detail::WaitResult::woken)
      return;
  }
}

void FiberPool::slot_unclaimed(void* pool) noexcept {
  static_cast<FiberPool*>(pool)->release_slot();
}

void FiberPool::release_slot() noexcept {
  if (slot_waiters_.wake_one()) return;
  if (--taken_ == 0) idle_waiters_.wake_all();
}

void FiberPool::adopt(detail::FiberJob& job) {
  Member* m = nullptr;
  try {
    m = new Member;
  } catch (...) {
    job.drop_handle(/*cancel=*/true);  // nobody would own it: it is killed
    throw;
  }
  m->on_finished = &member_finished;
  m->pool = this;
  m->job = &job;
  members_.push_back(*m);
  job.watch(*m);
}

void FiberPool::member_finished(detail::JoinWatcher& w) noexcept {
  auto* m = static_cast<Member*>(&w);
  FiberPool& pool = *m->pool;
  detail::FiberJob& job = *m->job;
  if (job.exception() && !job.ended_cancelled()) {
    if (!pool.first_error_)
      pool.first_error_ = job.exception();
    else
      job.loop->report_unhandled(job.exception(), job);
  }
  job.result_taken = true;
  pool.members_.remove(*m);
  delete m;
  job.drop_handle(/*cancel=*/false);  // finished: freed once its watchers are told
  pool.release_slot();
}

void FiberPool::join() {
  while (taken_ > 0)
    detail::block_on(*loop_, idle_waiters_.wait(&idle, this), "tide::FiberPool::join");
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
}

void FiberPool::kill() noexcept {
  for (Member* m = members_.front(); m != nullptr; m = decltype(members_)::next(*m))
    m->job->kill();
}

}  // namespace tide
