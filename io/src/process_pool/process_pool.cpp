#include <tide/io/process_pool.hpp>

#include <sched.h>

#include <thread>

#include "io/src/process_pool/pool_core.hpp"

namespace tide::io {

namespace {

std::size_t cpu_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<std::size_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

detail::PoolCore::Options core_options(const ProcessPool::Options& o) {
  detail::PoolCore::Options out{};
  out.workers = o.workers == 0 ? cpu_count() : o.workers;
  out.max_in_flight = std::max<std::size_t>(1, o.max_in_flight);
  out.worker.spin_us = static_cast<std::uint32_t>(std::max<long long>(0, o.worker_spin.count()));
  out.worker.max_tasks = o.max_tasks_per_worker;
  out.worker.initializer = o.initializer;
  return out;
}

Task<void> nothing() {
  co_return;
}

}  // namespace

ProcessPool::ProcessPool() : ProcessPool(Options{}) {}

ProcessPool::ProcessPool(Options options)
    : core_(std::make_unique<detail::PoolCore>(core_options(options))) {}

ProcessPool::~ProcessPool() = default;

std::size_t ProcessPool::size() const noexcept {
  return core_->worker_count();
}

std::vector<pid_t> ProcessPool::pids() {
  return core_->pids();
}

pid_t ProcessPool::server_pid() const noexcept {
  return core_->server_pid();
}

void ProcessPool::close() {
  core_->close();
}

void ProcessPool::terminate() {
  core_->terminate();
}

Task<void> ProcessPool::join() {
  if (!core_->closed())
    throw UsageError("tide::ProcessPool::join: call close() or terminate() first");
  detail::PoolCore& core = *core_;
  if (!core.stopped()) core.bind("tide::ProcessPool::join");
  while (!core.stopped())
    co_await core.stopped_queue().wait();
}

Task<void> ProcessPool::shutdown(bool wait, bool cancel_futures) {
  core_->close();
  if (cancel_futures) core_->cancel_queued();
  if (wait) return join();
  return nothing();
}

}  // namespace tide::io
