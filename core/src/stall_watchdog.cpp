#include "core/src/stall_watchdog.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/job.hpp>
#include <tide/core/detail/loop_core.hpp>

#include "core/src/symbolize.hpp"

namespace tide {

std::string StallReport::text() const {
  std::string out = "tide: ";
  if (ended) {
    out += "stall over: " + running + " held the loop for " + detail::describe_duration(held_for);
  } else {
    out += "stall: " + running + " has held the loop for " + detail::describe_duration(held_for);
    if (spawned_at.known())
      out += " (spawned at " + std::string(spawned_at.file) + ":" +
             std::to_string(spawned_at.line) + " in " + spawned_at.function + ")";
  }
  out += "\n";
  const std::vector<std::string> lines = stack_lines();
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += "    #" + std::to_string(i) + " " + lines[i] + "\n";
  return out;
}

std::vector<std::string> StallReport::stack_lines() const {
  std::vector<std::string> lines;
  for (const void* pc : stack)
    for (std::string& frame : detail::describe_code(pc, true))
      lines.push_back(std::move(frame));
  return lines;
}

namespace detail {

namespace {

// The signal that asks a loop thread for its stack. SIGURG: ignored by default, and left to
// tide by nearly every program (Go's runtime makes the same choice for its preemption).
constexpr int capture_signal = SIGURG;

// Captures that may be asked for: a signal naming anything else is not tide's.
constexpr std::size_t max_captures = 256;
std::atomic<StallCapture*> g_captures[max_captures];
std::mutex g_install_mutex;
bool g_installed = false;
struct sigaction g_previous {};

bool registered(const StallCapture* capture) noexcept {
  for (auto& slot : g_captures)
    if (slot.load(std::memory_order_acquire) == capture) return true;
  return false;
}

// On the loop thread, interrupting the step that holds it. Copies only: no allocation, no lock.
void on_capture_signal(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  auto* capture =
      info->si_code == SI_QUEUE ? static_cast<StallCapture*>(info->si_value.sival_ptr) : nullptr;
  if (capture == nullptr || !registered(capture)) {
    // Not ours: the action that was there before tide's.
    if (g_previous.sa_flags & SA_SIGINFO) {
      if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(signal, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
      g_previous.sa_handler(signal);
    }
    errno = saved_errno;
    return;
  }
  int expected = StallCapture::requested;  // else the watchdog stopped waiting: leave it alone
  if (!capture->state.compare_exchange_strong(expected, StallCapture::writing,
                                              std::memory_order_acq_rel)) {
    errno = saved_errno;
    return;
  }
  LoopCore& core = *capture->core;
  capture->progress = core.progress.load(std::memory_order_relaxed);
  // What runs, named like Job::describe ("task #12 'name'") without building a std::string.
  std::size_t at = 0;
  auto append = [&](const char* text, std::size_t n) {
    n = std::min(n, sizeof capture->running - 1 - at);
    std::memcpy(capture->running + at, text, n);
    at += n;
  };
  if (const Job* job = core.current) {
    char digits[24];  // the id in decimal, written backwards (no snprintf in a handler)
    std::size_t n = 0;
    for (std::uint64_t id = job->id; n == 0 || id != 0; id /= 10)
      digits[sizeof digits - ++n] = static_cast<char>('0' + id % 10);
    append(job->kind, std::strlen(job->kind));
    append(" #", 2);
    append(digits + sizeof digits - n, n);
    if (!job->name.empty()) {
      append(" '", 2);
      append(job->name.data(), job->name.size());
      append("'", 1);
    }
    capture->where = job->where;
  } else {
    const char* kind = core.step_kind != nullptr ? core.step_kind : "the loop itself";
    append(kind, std::strlen(kind));
    capture->where = {};
  }
  capture->running[at] = '\0';
  // Without this handler's frame and the kernel's signal trampoline (__restore_rt) below it.
  capture->depth = capture_stack(capture->pcs, 64, 2);
  capture->state.store(StallCapture::done, std::memory_order_release);
  errno = saved_errno;
}

void install_handler() {
  std::lock_guard lock(g_install_mutex);
  if (g_installed) return;
  struct sigaction action {};
  action.sa_sigaction = &on_capture_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (::sigaction(capture_signal, &action, &g_previous) == 0) g_installed = true;
}

}  // namespace

StallWatchdog::StallWatchdog(LoopCore& core, std::chrono::nanoseconds threshold, Handler on_stall)
    : core_(core),
      threshold_(threshold),
      // Looks four times per threshold: a stall is seen within 1.25 thresholds, and its
      // length is short by less than a quarter.
      period_(std::max<std::chrono::nanoseconds>(threshold / 4, std::chrono::milliseconds(1))),
      on_stall_(on_stall ? std::move(on_stall) : Handler([](const StallReport& report) {
        const std::string text = report.text();
        std::fwrite(text.data(), 1, text.size(), stderr);
      })) {
  capture_.core = &core;
  install_handler();
  bool slot_found = false;
  for (auto& slot : g_captures) {
    StallCapture* expected = nullptr;
    if (slot.compare_exchange_strong(expected, &capture_)) {
      slot_found = true;
      break;
    }
  }
  (void)slot_found;  // with every slot taken, reports come without a stack
  thread_ = std::thread([this] { run(); });
}

StallWatchdog::~StallWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  for (auto& slot : g_captures) {
    StallCapture* expected = &capture_;
    slot.compare_exchange_strong(expected, nullptr);
  }
}

void StallWatchdog::run() {
  std::uint64_t watched = 0;  // the step being timed
  bool timing = false;        // a step is running and being timed
  bool reported = false;      // the step being timed was reported
  Clock::time_point first_seen{};
  std::string running;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, period_);
    if (stop_) break;
    const auto phase = core_.phase.load(std::memory_order_acquire);
    const auto progress = core_.progress.load(std::memory_order_acquire);
    const auto now = Clock::now();
    const bool same_step = timing && phase == LoopCore::in_steps && progress == watched;
    if (!same_step) {
      if (reported) {
        StallReport last;
        last.ended = true;
        last.held_for = now - first_seen;
        last.running = running;
        lock.unlock();
        on_stall_(last);
        lock.lock();
      }
      reported = false;
      timing = phase == LoopCore::in_steps;
      watched = progress;
      first_seen = now;
      continue;
    }
    if (!reported && now - first_seen >= threshold_) {
      lock.unlock();
      StallReport report = ask_loop_thread(progress, threshold_ / 2);
      report.held_for = Clock::now() - first_seen;
      running = report.running;
      on_stall_(report);
      lock.lock();
      reported = true;
    }
  }
  if (reported) {  // the loop is going away: the step it was stuck in is over too
    StallReport last;
    last.ended = true;
    last.held_for = Clock::now() - first_seen;
    last.running = running;
    lock.unlock();
    on_stall_(last);
  }
}

StallReport StallWatchdog::ask_loop_thread(std::uint64_t progress,
                                           std::chrono::nanoseconds patience) {
  StallReport report;
  report.running = "(not known: the loop thread did not answer in time)";
  capture_.state.store(StallCapture::requested, std::memory_order_release);
  sigval value{};
  value.sival_ptr = &capture_;
  if (::pthread_sigqueue(loop_thread_.load(std::memory_order_acquire), capture_signal, value) ==
      0) {
    // The handler answers within microseconds; under TSan only once the loop thread is in a
    // call TSan intercepts as blocking. Wait a bounded while: the report must come while the
    // loop is still stuck, with or without its stack.
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (capture_.state.load(std::memory_order_acquire) != StallCapture::done &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  int expected = StallCapture::requested;
  if (capture_.state.compare_exchange_strong(expected, StallCapture::idle,
                                             std::memory_order_acq_rel))
    return report;  // no answer: a handler that runs later finds nothing requested
  while (capture_.state.load(std::memory_order_acquire) != StallCapture::done)
    std::this_thread::sleep_for(std::chrono::microseconds(100));  // it is writing: nearly done
  // If the loop moved on first, the answer is about another step: not this one's.
  if (capture_.progress == progress) {
    report.running = capture_.running;
    report.spawned_at = capture_.where;
    report.stack.assign(capture_.pcs, capture_.pcs + capture_.depth);
  }
  capture_.state.store(StallCapture::idle, std::memory_order_release);
  return report;
}

}  // namespace detail

}  // namespace tide
