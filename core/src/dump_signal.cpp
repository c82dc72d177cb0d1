#include "core/src/dump_signal.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tide::detail {

namespace {

constexpr int max_slots = 64;

struct Slot {
  std::atomic<int> signal{0};  // 0: free
  std::atomic<int> wake_fd{-1};
  std::atomic<unsigned> requests{0};
  std::atomic<int> in_handler{0};  // handlers between reading wake_fd and writing it
};
Slot g_slots[max_slots];

std::mutex g_install_mutex;  // guards the two arrays below (never taken by the handler)
int g_listeners[NSIG] = {};
struct sigaction g_previous[NSIG];

void on_signal(int signal) {
  const int saved_errno = errno;
  for (Slot& slot : g_slots) {
    if (slot.signal.load(std::memory_order_acquire) != signal) continue;
    slot.in_handler.fetch_add(1, std::memory_order_acq_rel);
    if (slot.signal.load(std::memory_order_acquire) == signal) {
      slot.requests.fetch_add(1, std::memory_order_release);
      if (const int fd = slot.wake_fd.load(std::memory_order_acquire); fd >= 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
      }
    }
    slot.in_handler.fetch_sub(1, std::memory_order_acq_rel);
  }
  errno = saved_errno;
}

}  // namespace

DumpSignal::DumpSignal(int signal, int wake_fd) {
  if (signal <= 0 || signal >= NSIG || signal == SIGKILL || signal == SIGSTOP ||
      signal == SIGPIPE || signal == SIGURG)
    throw std::invalid_argument("tide::Loop::Options::dump_on_signal: " + std::to_string(signal) +
                                " is not a signal a loop can take for its dump (SIGUSR1 or "
                                "SIGUSR2 are the usual choices; 0 turns it off)");
  std::lock_guard lock(g_install_mutex);
  slot_ = -1;
  for (int i = 0; i < max_slots && slot_ < 0; ++i)
    if (g_slots[i].signal.load(std::memory_order_relaxed) == 0) slot_ = i;
  if (slot_ < 0)
    throw std::length_error("tide::Loop::Options::dump_on_signal: more than 64 loops listen");
  if (g_listeners[signal] == 0) {
    struct sigaction action {};
    action.sa_handler = &on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (::sigaction(signal, &action, &g_previous[signal]) != 0)
      throw std::system_error(errno, std::system_category(),
                              "tide::Loop::Options::dump_on_signal: sigaction");
  }
  ++g_listeners[signal];
  Slot& slot = g_slots[slot_];
  seen_ = slot.requests.load(std::memory_order_relaxed);
  slot.wake_fd.store(wake_fd, std::memory_order_release);
  slot.signal.store(signal, std::memory_order_release);
}

DumpSignal::~DumpSignal() {
  std::lock_guard lock(g_install_mutex);
  Slot& slot = g_slots[slot_];
  const int signal = slot.signal.exchange(0, std::memory_order_acq_rel);
  // A handler that saw the slot before it was freed may still be about to write the fd.
  while (slot.in_handler.load(std::memory_order_acquire) != 0) {
  }
  slot.wake_fd.store(-1, std::memory_order_release);
  if (--g_listeners[signal] == 0) ::sigaction(signal, &g_previous[signal], nullptr);
}

bool DumpSignal::requested() noexcept {
  const unsigned now = g_slots[slot_].requests.load(std::memory_order_acquire);
  if (now == seen_) return false;
  seen_ = now;
  return true;
}

}  // namespace tide::detail
