#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

// The private protocol between a ProcessPool (the loop side) and its fork server, and the
// progress counters the workers share with the loop side. Nothing here uses tide's loop.

namespace tide::io::detail {

/// Loop side -> fork server, one SOCK_SEQPACKET message each.
struct ControlRequest {
  enum Kind : std::uint32_t {
    spawn = 1,  // fork a worker for `slot`; its socket comes with the message (SCM_RIGHTS)
    kill = 2,   // SIGKILL the live worker of `slot` (a task's deadline passed)
  };
  std::uint32_t kind;
  std::uint32_t slot;
};

/// Fork server -> loop side.
struct ControlReport {
  enum Kind : std::uint32_t {
    spawned = 1,       // the worker of `slot` runs as `pid`
    exited = 2,        // the worker of `slot` (`pid`) ended; `status` is its wait status
    spawn_failed = 3,  // fork failed for `slot`; `status` is the errno
  };
  std::uint32_t kind;
  std::uint32_t slot;
  std::int32_t pid;
  std::int32_t status;
};

/// One per worker slot, in a MAP_SHARED mapping made before the fork server starts (so every
/// worker shares it with the loop side). `started` counts the calls the slot's current worker
/// has begun; the loop side resets it before asking for a worker. After the worker died, the
/// calls it began but did not answer tell the loop side which call killed it.
struct alignas(64) SlotProgress {
  std::atomic<std::uint64_t> started{0};
};

/// What a worker needs from the pool's options.
struct WorkerSettings {
  std::uint32_t spin_us = 50;       // non-blocking reads before a blocking one
  std::uint64_t max_tasks = 0;      // 0: no limit; else exit(0) after this many calls
  void (*initializer)() = nullptr;  // run once when the worker starts
};

/// The fork server's main function (fork_server.cpp): never returns. `control` is its end of
/// the control socket; `parent` the pid it must outlive no longer than.
[[noreturn]] void fork_server_main(int control, pid_t parent, SlotProgress* progress,
                                   std::uint32_t slots, WorkerSettings settings) noexcept;

/// A worker's main function (worker.cpp): never returns. `fd` is its end of the socketpair.
[[noreturn]] void worker_main(int fd, SlotProgress& progress, WorkerSettings settings) noexcept;

}  // namespace tide::io::detail
