#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include <tide/core/detail/awaitable_traits.hpp>
#include <tide/core/detail/intrusive_list.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/fiber.hpp>

namespace tide {

/// At most `size` fibres at a time, like `gevent.pool.Pool`: `spawn` waits while the pool is
/// full, `map` runs a function over items with that much concurrency, `join` waits until all
/// are done.
///
///     tide::FiberPool pool(10);
///     for (auto& url : urls) pool.spawn(fetch, url);   // at most 10 fetch at once
///     pool.join();
///
/// The pool owns its fibres: `join()` rethrows the first exception that escaped one of them
/// (later ones go to the loop's `on_unhandled_exception`); destroying the pool kills those
/// still running. Waiting calls (`spawn` when full, `map`, `join`) wait like `Fiber::join`: in
/// a fibre, or outside the loop on its thread (inside a task they are a UsageError).
/// A pool is bound to the loop of its first spawn (or the one given). Loop thread only; no
/// fibre may still wait in `spawn` or `join` when the pool is destroyed.
class FiberPool {
 public:
  explicit FiberPool(std::size_t size, FiberOptions options = {});
  FiberPool(Loop& loop, std::size_t size, FiberOptions options = {});
  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;
  ~FiberPool();

  /// Starts `fn(args...)` in the pool, first waiting for a free slot (FIFO among waiters).
  template <class Fn, class... Args>
  void spawn(Fn&& fn, Args&&... args) {
    detail::LoopCore& loop = bind("tide::FiberPool::spawn");
    acquire_slot();
    try {
      adopt(*detail::start_fiber_job(loop, options_, std::forward<Fn>(fn),
                                     std::forward<Args>(args)...));
    } catch (...) {
      release_slot();
      throw;
    }
  }

  /// `fn(item)` for every item, at most `size()` at a time (counting the pool's other
  /// fibres); returns the results in the items' order once all are done, or rethrows the first
  /// exception after all are done.
  template <class Fn, std::ranges::input_range Items>
  auto map(Fn fn, Items&& items);

  /// Waits until no fibre of the pool is running; then rethrows the first exception that
  /// escaped one since the last join, if any.
  void join();
  /// Kills every fibre of the pool (each raises FiberExit at its suspension point).
  void kill() noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Fibres running, plus free slots already handed to a waiting `spawn`.
  [[nodiscard]] std::size_t running() const noexcept { return taken_; }
  [[nodiscard]] std::size_t free_count() const noexcept { return size_ - taken_; }

 private:
  struct Member : detail::JoinWatcher {
    FiberPool* pool = nullptr;
    detail::FiberJob* job = nullptr;
    detail::ListHook<Member> member_hook;
  };

  detail::LoopCore& bind(const char* what);
  void acquire_slot();
  void release_slot() noexcept;
  void adopt(detail::FiberJob& job);
  static void member_finished(detail::JoinWatcher& w) noexcept;
  static void slot_unclaimed(void* pool) noexcept;
  static bool slot_free(const void* pool) noexcept;
  static bool idle(const void* pool) noexcept;

  detail::LoopCore* loop_ = nullptr;
  std::size_t size_;
  FiberOptions options_;
  std::size_t taken_ = 0;  // slots in use: running fibres and slots handed to waiters
  detail::IntrusiveList<Member, &Member::member_hook> members_;
  // A fibre that ends hands its slot to the first waiter here; a waiter destroyed before it
  // used its slot passes it on (slot_unclaimed).
  detail::WaitQueue slot_waiters_{
      {.owner = this, .unclaimed = &slot_unclaimed, .what = "FiberPool slot"}};
  detail::WaitQueue idle_waiters_{{.owner = this, .what = "FiberPool join"}};
  std::exception_ptr first_error_;
};

template <class Fn, std::ranges::input_range Items>
auto FiberPool::map(Fn fn, Items&& items) {
  using Item = std::remove_cvref_t<std::ranges::range_reference_t<Items>>;
  using R = std::invoke_result_t<Fn&, Item&>;
  // Shared with the fibres: they may outlive a caller that stops waiting (killed).
  struct Batch {
    explicit Batch(Fn f) : fn(std::move(f)) {}
    Fn fn;
    std::vector<std::optional<detail::non_void_t<R>>> results;
    std::size_t left = 0;
    std::exception_ptr error;
    detail::WaitQueue done{{.owner = this, .what = "FiberPool::map results"}};
  };
  auto batch = std::make_shared<Batch>(std::move(fn));
  std::size_t index = 0;
  for (auto&& item : items) {
    batch->results.emplace_back();
    ++batch->left;
    try {
      spawn(
          [batch, index](Item value) {
            try {
              if constexpr (std::is_void_v<R>) {
                batch->fn(value);
                batch->results[index].emplace();
              } else {
                batch->results[index].emplace(batch->fn(value));
              }
            } catch (...) {
              if (!batch->error) batch->error = std::current_exception();
            }
            if (--batch->left == 0) batch->done.wake_all();
          },
          Item(std::forward<decltype(item)>(item)));
    } catch (...) {
      --batch->left;
      kill();  // do not leave the started ones running on unobserved
      throw;
    }
    ++index;
  }
  constexpr detail::WaitQueue::Ready all_done = [](const void* b) noexcept {
    return static_cast<const Batch*>(b)->left == 0;
  };
  while (batch->left > 0)
    detail::block_on(*loop_, batch->done.wait(all_done, batch.get()), "tide::FiberPool::map");
  if (batch->error) std::rethrow_exception(batch->error);
  if constexpr (!std::is_void_v<R>) {
    std::vector<R> out;
    out.reserve(batch->results.size());
    for (auto& r : batch->results)
      out.push_back(std::move(*r));
    return out;
  }
}

}  // namespace tide
