#include <tide/core/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <tide/core/detail/spin.hpp>
#include "core/src/inbox.hpp"

namespace tide {

namespace {
// The pool whose worker this thread is (null on other threads): lets shutdown() refuse to be
// called from a worker, which would then join itself.
thread_local const void* t_worker_of = nullptr;
}  // namespace

struct ThreadPool::State {
  explicit State(std::size_t max) : max_threads(max) {}

  void worker() {
    t_worker_of = this;
    std::unique_lock lock(mutex);
    for (;;) {
      if (queue.empty() && !stopping &&
          spinning.exchange(true, std::memory_order_acq_rel) == false) {
        // Waking a sleeping thread on another core costs tens of microseconds here (see
        // docs/design.md, "Figures"); a short spin lets a stream of calls go without any sleep and
        // wake-up. One worker spins at a time: more would only take cores from the loop.
        lock.unlock();
        spin_for_work();
        spinning.store(false, std::memory_order_release);
        lock.lock();
      }
      work_ready.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and nothing left that was accepted
      detail::Callback fn = std::move(queue.front());
      queue.pop_front();
      queued.store(queue.size(), std::memory_order_relaxed);
      ++busy;
      lock.unlock();
      fn();  // PoolCall::execute catches everything; plain execute() callbacks must not throw
      fn.reset();
      lock.lock();
      --busy;
    }
  }

  void spin_for_work() noexcept {
    spinner.spin([this] { return queued.load(std::memory_order_relaxed) > 0; });
  }

  const std::size_t max_threads;
  std::atomic<std::size_t> queued{0};  // queue.size(), readable without the lock
  std::atomic<bool> spinning{false};   // a worker is spinning for work (it needs no notify)
  detail::AdaptiveSpin spinner;        // used only by the worker that set `spinning`
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
  s.queued.store(s.queue.size(), std::memory_order_relaxed);
  // Start a worker only when every existing one is busy with earlier work.
  if (s.threads.size() - s.busy < s.queue.size() && s.threads.size() < s.max_threads)
    s.threads.emplace_back([&s] { s.worker(); });
  // A spinning worker sees the call without a wake-up; if it stops spinning just now, it
  // checks the queue under the lock before it sleeps, so the call is not missed.
  // A second queued call needs a worker of its own.
  if (!s.spinning.load(std::memory_order_acquire) || s.queue.size() > 1) s.work_ready.notify_one();
}

void ThreadPool::shutdown(ShutdownOptions options) {
  auto& s = *state_;
  if (t_worker_of == &s)
    throw UsageError(
        "tide::ThreadPool::shutdown: called from one of the pool's own workers, which would "
        "wait for itself; shut the pool down from another thread");
  std::deque<detail::Callback> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
    if (options.cancel_queued) {
      dropped.swap(s.queue);
      s.queued.store(0, std::memory_order_relaxed);
    }
    if (options.wait) threads.swap(s.threads);
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
    if (call_) call_->drop();  // consumes the reference
  }
  void operator()() noexcept { std::exchange(call_, nullptr)->execute(); }  // consumes it

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
  if (!stage_.compare_exchange_strong(expected, running, std::memory_order_acq_rel)) {
    release();  // withdrawn by its awaiter
    return;
  }
  invoke();
  stage_.store(done, std::memory_order_release);
  stage_.notify_all();
  post_completion();
}

void PoolCall::drop() noexcept {
  int expected = queued;
  if (stage_.compare_exchange_strong(expected, dropped, std::memory_order_acq_rel))
    post_completion();
  else
    release();
}

bool PoolCall::withdraw() noexcept {
  int expected = queued;
  if (!stage_.compare_exchange_strong(expected, withdrawn, std::memory_order_acq_rel)) return false;
  discard();
  return true;
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
  Completion completion(this);
  // The queue's reference goes first, so the last one is always dropped on the loop thread:
  // the result (or exception) is destroyed where it was consumed, never on a worker.
  release();
  try {
    inbox->post(std::move(completion));
  } catch (...) {
    // LoopClosed: the loop is gone, and with it the awaiter. Nothing waits for this result.
  }
}

}  // namespace detail
}  // namespace tide
