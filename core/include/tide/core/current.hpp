#pragma once

#include <cstdint>
#include <string>
#include <string_view>

/// The task or fibre that is running: Python's `threading.current_thread()` and gevent's
/// `getcurrent()`. A task here is a spawned task with every task it awaits (they run as one);
/// a fibre is a fibre (a greenlet knows itself through `Greenlet::current()`). Names and
/// numbers are the ones `Loop::dump` and the stall report show.
///
///     tide::spawn(worker(), "Thread-1");
///     ...  // inside worker():
///     std::printf("%s\n", std::string(tide::current::name()).c_str());  // Thread-1
namespace tide::current {

/// The name given at spawn or by `set_name` ("" if it has none). Outside a task or fibre (in
/// a timer or posted callback, on a pool thread, with no loop running): "". The view lasts
/// until the name changes or the task or fibre ends.
[[nodiscard]] std::string_view name() noexcept;

/// Renames the running task or fibre. Throws UsageError outside one.
void set_name(std::string name);

/// Its number on its loop (`task #3`), counted from 1; 0 outside a task or fibre.
[[nodiscard]] std::uint64_t id() noexcept;

/// Whether a fibre runs, rather than a task.
[[nodiscard]] bool is_fibre() noexcept;

/// "task #3 'Thread-1'", "fibre #5", or "no task or fibre" outside one.
[[nodiscard]] std::string describe();

}  // namespace tide::current
