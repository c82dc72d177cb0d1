#pragma once

#include <sys/types.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/io/detail/pool_call.hpp>

#include "io/src/process_pool/control.hpp"

namespace tide::io::detail {

using RequestPtr = std::shared_ptr<PoolRequest>;

/// The loop side of a ProcessPool: its fork server, one socket per worker, the queue of calls
/// not yet sent, and each worker's calls in flight (answered in order). All its work happens
/// in `turn()`, run at most once per loop iteration by a small coroutine of its own (the
/// pump), so requests made during one iteration leave in one write per worker.
/// Loop thread only, once bound (the loop that first submits).
class PoolCore {
 public:
  struct Options {
    std::size_t workers;
    std::size_t max_in_flight;
    WorkerSettings worker;
  };
  explicit PoolCore(const Options& options);
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;
  ~PoolCore();

  void submit(RequestPtr request);
  void drop(PoolRequest& request) noexcept;
  bool withdraw(PoolRequest& request) noexcept;

  void close();
  void terminate();
  void cancel_queued();
  /// Waits until every accepted call is answered and the processes are gone (after close).
  tide::detail::WaitQueue& stopped_queue() noexcept { return stopped_waiters_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] std::size_t worker_count() const noexcept { return workers_.size(); }
  /// Waits (briefly, blocking) for the fork server's reports of workers being started.
  [[nodiscard]] std::vector<pid_t> pids();
  [[nodiscard]] pid_t server_pid() const noexcept { return server_pid_; }
  /// The pid of the worker in `slot`, or 0 if not known (yet).
  [[nodiscard]] pid_t worker_pid(std::uint32_t slot) const noexcept {
    return slot < workers_.size() && workers_[slot] ? workers_[slot]->pid : 0;
  }
  /// Binds to the running loop on first use; UsageError from any other. Returns it.
  tide::detail::LoopCore& bind(const char* what);

 private:
  struct Worker;
  /// A readiness wait on a worker's socket or the control socket.
  struct PollOp : tide::detail::IoOp {
    PoolCore* core = nullptr;
    Worker* worker = nullptr;  // null: the control socket
    bool fired = false;        // completed since the last turn looked
  };
  struct Worker {
    std::uint32_t slot = 0;
    pid_t pid = 0;         // 0 until the server reports it
    int fd = -1;           // the loop side of the socketpair (non-blocking), -1 when gone
    bool eof = false;      // the socket reported end of file or an error: the worker is gone
    bool killing = false;  // a deadline asked the server to kill it
    bool holds_deadline_task = false;  // its one call in flight has a deadline
    std::uint64_t answered = 0;        // answers read since it started (cf. SlotProgress)
    std::uint64_t last_active = 0;     // turn of its last answer: prefer workers still spinning
    std::deque<RequestPtr> in_flight;  // sent, unanswered, in order
    std::string out;                   // frames not yet written
    std::size_t out_sent = 0;          // of `out`, bytes already written
    std::string in;                    // bytes read, not yet parsed
    PollOp read_op, write_op;
  };
  struct LoopLink;
  struct Pump;
  static Pump run_pump(LoopLink* link);

  void schedule() noexcept;
  void turn() noexcept;
  static void op_completed(tide::detail::IoOp& op) noexcept;
  static void deadline_fired(tide::detail::TimerNode& node) noexcept;

  void read_control();
  void handle_exit(Worker& w, int status);
  void read_answers(Worker& w);
  void dispatch();
  void flush(Worker& w);
  void arm();
  void arm_op(PollOp& op, int fd, unsigned events);
  void disarm(PollOp& op) noexcept;
  void start_worker(Worker& w);
  void finish(const RequestPtr& request, std::exception_ptr error) noexcept;
  void notify_finished() noexcept;
  void fail_everything(const std::string& why) noexcept;
  void stop_processes() noexcept;
  void loop_gone() noexcept;
  void update_spin() noexcept;
  [[nodiscard]] std::size_t outstanding() const noexcept;
  void send_control(const ControlRequest& request, int fd = -1);

  Options options_;
  tide::detail::LoopCore* loop_ = nullptr;
  LoopLink* link_ = nullptr;  // owned by the loop (an extension); null once either is gone
  pid_t server_pid_ = -1;
  int control_ = -1;
  PollOp control_op_;
  SlotProgress* progress_ = nullptr;  // MAP_SHARED, one per slot
  std::vector<std::unique_ptr<Worker>> workers_;
  std::deque<RequestPtr> queued_;     // FIFO; withdrawn ones are skipped
  std::size_t queued_live_ = 0;       // of `queued_`, those still queued
  std::vector<RequestPtr> finished_;  // done this turn, to notify at its end
  std::coroutine_handle<> pump_;
  bool pump_scheduled_ = false;
  bool in_turn_ = false;
  bool expecting_ = false;  // loop_->expect_completions_soon() is held
  bool closed_ = false;
  bool stopped_ = false;
  bool broken_ = false;  // the fork server is gone: no worker can be replaced
  std::uint64_t turns_ = 0;
  tide::detail::WaitQueue stopped_waiters_{{.owner = this, .what = "ProcessPool join"}};
};

}  // namespace tide::io::detail
