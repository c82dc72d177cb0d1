#include <tide/core/detail/loop_core.hpp>

#include <cstdio>
#include <string>

#include <tide/core/loop.hpp>
#include <tide/core/thread_pool.hpp>

#include "core/src/backend/driver.hpp"
#include "core/src/dump_signal.hpp"
#include "core/src/fork_guard.hpp"
#include "core/src/inbox.hpp"
#include "core/src/stall_watchdog.hpp"

namespace tide::detail {

LoopCore::LoopCore(Loop& facade)
    : owner(facade), born(fork_generation.load(std::memory_order_relaxed)) {}
LoopCore::~LoopCore() = default;

void LoopCore::io_submit(IoOp& op) {
  driver->submit(op);
  ++metrics.io_submitted[static_cast<std::size_t>(op.kind)];
}
bool LoopCore::io_try_now(IoOp& op) noexcept {
  if (!driver->try_now(op)) return false;
  ++metrics.io_at_once[static_cast<std::size_t>(op.kind)];
  return true;
}
void LoopCore::io_cancel(IoOp& op) noexcept {
  driver->cancel(op);
}
void LoopCore::io_abandon(IoOp& op) noexcept {
  driver->abandon(op);
}
void LoopCore::forget_fd(int fd) noexcept {
  if (driver) driver->forget_fd(fd);
  using Watchers = decltype(fd_watchers);
  for (FdWatcher* w = fd_watchers.front(); w != nullptr;) {
    FdWatcher* next = Watchers::next(*w);  // a watcher may not remove others, but may leave
    w->forget(*w, fd);
    w = next;
  }
}
void LoopCore::refresh_fd(int fd) noexcept {
  if (driver) driver->refresh_fd(fd);
}
IoCaps LoopCore::io_caps() const noexcept {
  return driver->caps();
}
std::uint16_t LoopCore::add_buffer_group(std::byte* base, unsigned capacity, std::size_t size) {
  return driver->add_buffer_group(base, capacity, size);
}
void LoopCore::recycle_buffer(std::uint16_t group, std::uint16_t id) noexcept {
  driver->recycle_buffer(group, id);
}
void LoopCore::remove_buffer_group(std::uint16_t group) noexcept {
  driver->remove_buffer_group(group);
}

void LoopCore::adopt(Job& job) noexcept {
  job.id = next_job_id++;
  live.push_front(job);
  ++live_jobs;
  ++(job.kind[0] == 'f' ? metrics.fibres_spawned : metrics.tasks_spawned);
}

void LoopCore::count_finished(const Job& job, bool cancelled) noexcept {
  const bool fibre = job.kind[0] == 'f';
  ++(fibre ? metrics.fibres_finished : metrics.tasks_finished);
  if (cancelled) ++(fibre ? metrics.fibres_cancelled : metrics.tasks_cancelled);
}

void LoopCore::release(Job& job) noexcept {
  if (!IntrusiveList<Job, &Job::live_hook>::linked(job)) return;
  live.remove(job);
  --live_jobs;
}

void LoopCore::report_unhandled(std::exception_ptr error, std::string_view what) noexcept {
  if (on_unhandled) {
    try {
      on_unhandled(error, what);
      return;
    } catch (...) {
      // A throwing handler must not take the loop down; fall back to stderr below.
    }
  }
  std::string message = "unknown exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    message = e.what();
  } catch (const Cancelled& e) {
    message = e.what();
  } catch (...) {
    // Not a std::exception: keep "unknown exception".
  }
  std::fprintf(stderr, "tide: unhandled exception in %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), message.c_str());
}

void LoopCore::report_unhandled(std::exception_ptr error, const Job& job) noexcept {
  std::string what;
  try {
    what = job.describe();
  } catch (...) {
    what = "a task";  // out of memory while naming it
  }
  report_unhandled(std::move(error), std::string_view(what));
}

void LoopCore::post(Callback fn) {
  inbox->post(std::move(fn));
}

void LoopCore::check_thread([[maybe_unused]] const char* what) const {
#ifndef NDEBUG
  if (runner != std::thread::id{} && runner != std::this_thread::get_id())
    throw UsageError(std::string("tide::Loop::") + what +
                     ": called from a thread that does not run this loop (loops are not "
                     "thread-safe; use Loop::post or a Loop::Remote to reach it)");
#endif
}

ThreadPool& LoopCore::thread_pool() {
  if (closing) throw LoopClosed("tide::Loop::thread_pool(): the loop is being destroyed");
  if (!pool)
    pool = std::make_unique<ThreadPool>(pool_size ? pool_size : ThreadPool::default_size());
  return *pool;
}

}  // namespace tide::detail
