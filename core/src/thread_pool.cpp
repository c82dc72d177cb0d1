#include <tide/core/thread_pool.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/src/inbox.hpp"

namespace tide {

struct ThreadPool::State {
  explicit State(std::size_t max) : max_threads(max) {}

  void worker() {
    std::unique_lock lock(mutex);
    for (;;) {
      work_ready.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and nothing left that was accepted
      detail::Callback fn = std::move(queue.front());
      queue.pop_front();
      ++busy;
      lock.unlock();
      fn();  // PoolCall::execute catches everything; plain execute() callbacks must not throw
      fn.reset();
      lock.lock();
      --busy;
    }
  }

  const std::size_t max_threads;
  std::mutex mutex;
  std::condition_variable work_ready;
  std::deque<detail::Callback> queue;  // guarded by mutex
  std::vector<std::thread> threads;    // guarded by mutex
  std::size_t busy = 0;                // guarded by mutex: workers running a callback
  bool stopping = false;               // guarded by mutex
};

std::size_t ThreadPool::default_size() noexcept {
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(32, cores + 4);
}

ThreadPool::ThreadPool(std::size_t max_threads) {
  if (max_threads == 0) throw std::invalid_argument("tide::ThreadPool: max_threads must be >= 1");
  state_ = std::make_unique<State>(max_threads);
}

ThreadPool::~ThreadPool() {
  shutdown();
}

std::size_t ThreadPool::max_threads() const noexcept {
  return state_->max_threads;
}

std::size_t ThreadPool::threads() const noexcept {
  std::lock_guard lock(state_->mutex);
  return state_->threads.size();
}

void ThreadPool::execute(detail::Callback fn) {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.stopping) throw LoopClosed("tide::ThreadPool: the pool is shut down");
  s.queue.push_back(std::move(fn));
  // Start a worker only when every existing one is busy with earlier work.
  if (s.threads.size() - s.busy < s.queue.size() && s.threads.size() < s.max_threads)
    s.threads.emplace_back([&s] { s.worker(); });
  s.work_ready.notify_one();
}

void ThreadPool::shutdown(bool cancel_queued) noexcept {
  auto& s = *state_;
  std::deque<detail::Callback> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
    if (cancel_queued) dropped.swap(s.queue);
    threads.swap(s.threads);
  }
  s.work_ready.notify_all();
  dropped.clear();  // a dropped PoolCall tells its awaiter (see CallRef below)
  for (auto& t : threads)
    t.join();
}

namespace detail {

namespace {
// The queue's reference to a call: running it executes the call; destroying it unrun (pool
// shutdown) drops the call, so its awaiter hears about it instead of waiting forever.
class CallRef {
 public:
  explicit CallRef(PoolCall& call) noexcept : call_(&call) { call.add_ref(); }
  CallRef(CallRef&& other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
  CallRef& operator=(CallRef&&) = delete;
  ~CallRef() {
    if (call_) {
      call_->drop();
      call_->release();
    }
  }
  void operator()() noexcept {
    PoolCall* call = std::exchange(call_, nullptr);
    call->execute();
    call->release();
  }

 private:
  PoolCall* call_;
};
}  // namespace

void submit_pool_call(ThreadPool& pool, PoolCall& call) {
  call.inbox = Loop::current().core().inbox;
  pool.execute(CallRef(call));
}

void PoolCall::execute() noexcept {
  int expected = queued;
  if (!stage_.compare_exchange_strong(expected, running, std::memory_order_acq_rel)) return;
  invoke();
  stage_.store(done, std::memory_order_release);
  stage_.notify_all();
  post_completion();
}

void PoolCall::drop() noexcept {
  int expected = queued;
  if (stage_.compare_exchange_strong(expected, dropped, std::memory_order_acq_rel))
    post_completion();
}

bool PoolCall::withdraw() noexcept {
  int expected = queued;
  return stage_.compare_exchange_strong(expected, withdrawn, std::memory_order_acq_rel);
}

void PoolCall::abandon() noexcept {
  if (withdraw()) return;
  // It runs (or ran): wait until the callable is done with whatever the frame lent it.
  int stage = stage_.load(std::memory_order_acquire);
  while (stage == running) {
    stage_.wait(running, std::memory_order_acquire);
    stage = stage_.load(std::memory_order_acquire);
  }
}

void PoolCall::post_completion() noexcept {
  // The completion holds a reference until it has run on the loop or been dropped unrun.
  struct Completion {
    PoolCall* call;
    explicit Completion(PoolCall* c) noexcept : call(c) { c->add_ref(); }
    Completion(Completion&& other) noexcept : call(std::exchange(other.call, nullptr)) {}
    ~Completion() {
      if (call) call->release();
    }
    void operator()() noexcept {
      if (call->awaiter) call->on_done(*call);
    }
  };
  try {
    inbox->post(Completion(this));
  } catch (...) {
    // LoopClosed: the loop is gone, and with it the awaiter. Nothing waits for this result.
  }
}

}  // namespace detail
}  // namespace tide
