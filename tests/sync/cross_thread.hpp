// Helpers for the cross-thread sync tests (ThreadQueue, ThreadEvent): every loop-side check
// runs once from a task and once from a fibre, through one `LoopParty` handle (a Party, see
// sides.hpp, that also gives a value).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <tide/core/await.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>

#include "sides.hpp"
#include "thread_state.hpp"

namespace tide::testing {

inline std::string style_name(const ::testing::TestParamInfo<Style>& info) {
  return info.param == Style::task ? "Task" : "Fibre";
}

/// A task or a fibre started on the current loop; the same calls for both.
template <class R>
class LoopParty {
 public:
  explicit LoopParty(JoinHandle<R> task) : task_(std::move(task)) {}
  explicit LoopParty(Fiber<R> fibre) : fibre_(std::move(fibre)) {}

  /// JoinHandle::cancel for a task, Fiber::kill for a fibre.
  void cancel() {
    if (task_.valid())
      task_.cancel();
    else
      fibre_.kill();
  }
  /// Lets it run on unowned (JoinHandle::detach, Fiber::detach).
  void detach() {
    if (task_.valid())
      task_.detach();
    else
      fibre_.detach();
  }
  [[nodiscard]] bool done() const { return task_.valid() ? task_.done() : fibre_.done(); }
  /// Its result, or its exception (a killed fibre's FiberExit is a Cancelled).
  Task<R> result() {
    if (task_.valid()) co_return co_await task_;
    co_return co_await fibre_.join();
  }

 private:
  JoinHandle<R> task_;
  Fiber<R> fibre_;
};

/// Starts a party that awaits `make()` once (`co_await` in a task, `tide::await` in a fibre)
/// and returns its result.
template <class Make>
auto await_in(Style style, Make make) {
  using R = std::remove_cvref_t<decltype(tide::await(make()))>;
  if (style == Style::task)
    return LoopParty<R>(tide::spawn([](Make m) -> Task<R> { co_return co_await m(); }(make)));
  return LoopParty<R>(tide::spawn_fiber([make]() -> R { return tide::await(make()); }));
}

/// Returns once thread `tid` sleeps in the kernel, or fails the test after `limit` (a thread
/// that never sleeps spins).
inline bool becomes_blocked(pid_t tid, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!is_blocked(tid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace tide::testing
