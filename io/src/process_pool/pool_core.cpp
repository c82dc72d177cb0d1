#include "io/src/process_pool/pool_core.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <system_error>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/io/pool_errors.hpp>

namespace tide::io::detail {

namespace {

std::string describe_death(pid_t pid, int status) {
  std::string who = "tide::ProcessPool: worker " + std::to_string(pid);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return who + " was killed by signal " + std::to_string(sig) + " (SIG" +
           (abbrev ? abbrev : "?") + ": " + ::strsignal(sig) + ") while running this task";
  }
  return who + " exited with status " + std::to_string(WEXITSTATUS(status)) +
         " while running this task";
}

std::exception_ptr crashed(pid_t pid, int status) {
  return std::make_exception_ptr(WorkerCrashed(describe_death(pid, status), pid,
                                               WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                                               WIFEXITED(status) ? WEXITSTATUS(status) : 0));
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}

}  // namespace

// ---- the pump: one coroutine per pool that runs `turn()` once per loop iteration ------------

/// A bare coroutine (not a tide task: no job, nothing to cancel) whose handle the pool puts in
/// the loop's ready queue. Its frame outlives the pool if it is still queued when the pool
/// goes: it then finds the link's core null and ends (final_suspend never suspends: the frame
/// frees itself).
struct PoolCore::Pump {
  struct promise_type {
    // Suspends at once: the first resumption (from the ready queue) starts the first turn.
    Pump get_return_object() noexcept {
      return Pump{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // turn() is noexcept
  };
  std::coroutine_handle<promise_type> handle;
};

/// What the pool registers with its loop (LoopCore::set_extension): destroyed with the loop,
/// after its ready queue was cleared and before its backend. It owns the pump's frame once the
/// pool is gone: a pool destroyed while its pump is queued leaves the frame to end itself when
/// resumed, or to be destroyed here if the loop never resumes it.
struct PoolCore::LoopLink {
  PoolCore* core = nullptr;
  std::coroutine_handle<> pump;  // the pump's frame while it exists
  ~LoopLink() {
    if (core != nullptr) core->loop_gone();
    if (pump) pump.destroy();
  }
};

PoolCore::Pump PoolCore::run_pump(LoopLink* link) {
  for (;;) {  // resumed once per scheduling (the initial suspension is the first wait)
    if (link->core == nullptr) {
      link->pump = nullptr;  // the frame ends (and frees itself) now
      co_return;
    }
    link->core->turn();
    co_await std::suspend_always{};
  }
}

// ---- construction ----------------------------------------------------------------------------

PoolCore::PoolCore(const Options& options) : options_(options) {
  const std::size_t slots = options_.workers;
  void* shared = ::mmap(nullptr, sizeof(SlotProgress) * slots, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) throw_errno("tide::ProcessPool: mmap of the workers' progress");
  progress_ = new (shared) SlotProgress[slots];

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    const int e = errno;
    ::munmap(progress_, sizeof(SlotProgress) * slots);
    throw std::system_error(e, std::system_category(),
                            "tide::ProcessPool: socketpair for the fork server");
  }
  // What sits in stdio's buffers now would be copied into the fork server and from it into
  // every worker, which flush when they answer: it would be printed again by each of them.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The fork server. Nothing of the parent's tide state is touched from here on.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP and the RT range
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int control = pair[1];
    if (control != 3) {
      if (::dup2(control, 3) < 0) ::_exit(71);
      control = 3;
    }
    ::close_range(4, ~0U, 0);
    fork_server_main(control, parent, progress_, static_cast<std::uint32_t>(slots),
                     options_.worker);
  }
  const int fork_errno = errno;
  ::close(pair[1]);
  if (pid < 0) {
    ::close(pair[0]);
    ::munmap(progress_, sizeof(SlotProgress) * slots);
    throw std::system_error(fork_errno, std::system_category(),
                            "tide::ProcessPool: fork of the fork server");
  }
  server_pid_ = pid;
  control_ = pair[0];
  control_op_.core = this;
  workers_.reserve(slots);
  try {
    for (std::size_t i = 0; i < slots; ++i) {
      auto w = std::make_unique<Worker>();
      w->slot = static_cast<std::uint32_t>(i);
      w->read_op.core = w->write_op.core = this;
      w->read_op.worker = w->write_op.worker = w.get();
      start_worker(*w);
      workers_.push_back(std::move(w));
    }
  } catch (...) {
    stop_processes();
    throw;
  }
}

PoolCore::~PoolCore() {
  fail_everything("tide::ProcessPool: the pool was destroyed before this task finished");
  notify_finished();
  stop_processes();
  if (link_ != nullptr) {
    link_->core = nullptr;
    if (!pump_scheduled_) {  // else it ends itself when resumed, or goes with the loop
      pump_.destroy();
      link_->pump = nullptr;
    }
  }
}

void PoolCore::start_worker(Worker& w) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0)
    throw_errno("tide::ProcessPool: socketpair for a worker");
  // The worker's end blocks: it sleeps in recv once its spin is over.
  const int flags = ::fcntl(pair[1], F_GETFL);
  ::fcntl(pair[1], F_SETFL, flags & ~O_NONBLOCK);
  progress_[w.slot].started.store(0, std::memory_order_relaxed);
  w.pid = 0;
  w.fd = pair[0];
  w.eof = w.killing = w.holds_deadline_task = false;
  w.answered = 0;
  w.out.clear();
  w.out_sent = 0;
  w.in.clear();
  try {
    send_control({ControlRequest::spawn, w.slot}, pair[1]);
  } catch (...) {
    ::close(pair[1]);
    throw;
  }
  ::close(pair[1]);
}

void PoolCore::send_control(const ControlRequest& request, int fd) {
  iovec iov{const_cast<ControlRequest*>(&request), sizeof request};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  for (;;) {
    if (::sendmsg(control_, &msg, MSG_NOSIGNAL) >= 0) return;
    if (errno == EINTR) continue;
    throw_errno("tide::ProcessPool: sending to the fork server");
  }
}

std::vector<pid_t> PoolCore::pids() {
  // A worker being started has no pid until the server reports it, a fork's time later (the
  // loop side reads reports only while calls are out): wait for those reports here.
  const auto unreported = [&] {
    return std::any_of(workers_.begin(), workers_.end(),
                       [](const auto& w) { return w->fd >= 0 && !w->eof && w->pid == 0; });
  };
  for (int i = 0; i < 500 && !stopped_ && !broken_ && unreported(); ++i) {
    pollfd ready{control_, POLLIN, 0};
    if (::poll(&ready, 1, 10) <= 0) continue;
    try {
      read_control();
    } catch (...) {
      break;  // reported by the next turn, which reads the same socket
    }
  }
  std::vector<pid_t> out;
  for (const auto& w : workers_)
    if (w->pid > 0 && !w->eof) out.push_back(w->pid);
  return out;
}

tide::detail::LoopCore& PoolCore::bind(const char* what) {
  auto& here = tide::detail::current_core(what);
  if (loop_ == &here) return here;
  if (loop_ != nullptr)
    throw UsageError(std::string(what) +
                     ": this tide::ProcessPool is bound to the loop that first used it (a loop "
                     "on another thread, or another loop)");
  loop_ = &here;
  auto link = std::make_shared<LoopLink>();
  link->core = this;
  loop_->set_extension(link.get(), link);
  link_ = link.get();
  pump_ = run_pump(link_).handle;
  link_->pump = pump_;
  return here;
}

// ---- what the public API calls ---------------------------------------------------------------

void PoolCore::submit(RequestPtr request) {
  if (closed_)
    throw PoolClosed(
        "tide::ProcessPool::submit: the pool is closed (close(), shutdown() or terminate() "
        "was called); no new task is accepted");
  if (broken_) throw PoolClosed("tide::ProcessPool::submit: the pool's fork server is gone");
  auto& loop = bind("tide::ProcessPool::submit");
  request->core = this;
  if (request->deadline) {
    auto& d = *request->deadline;
    d.owner = request.get();
    d.deadline = loop.now() + d.timeout;
    d.fire = &deadline_fired;
    loop.add_timer(d);
  }
  queued_.push_back(std::move(request));
  ++queued_live_;
  schedule();
}

void PoolCore::drop(PoolRequest& request) noexcept {
  if (request.stage == PoolRequest::Stage::queued) {
    request.stage = PoolRequest::Stage::done;
    request.abandoned = true;
    --queued_live_;
    if (request.deadline && request.deadline->armed()) loop_->remove_timer(*request.deadline);
    request.core = nullptr;
    schedule();  // the queue may let go of it, and a closing pool may now be drained
  } else if (request.stage == PoolRequest::Stage::sent) {
    request.abandoned = true;  // the answer is read and thrown away (the deadline still holds)
  }
}

bool PoolCore::withdraw(PoolRequest& request) noexcept {
  if (request.stage != PoolRequest::Stage::queued) return false;
  --queued_live_;
  for (auto& r : queued_)
    if (r.get() == &request) {
      finish(r, std::make_exception_ptr(PoolCancelled(
                    "tide::ProcessPool: the task was withdrawn before a worker took it")));
      break;
    }
  return true;
}

void PoolCore::close() {
  closed_ = true;
  if (loop_ != nullptr)
    schedule();
  else if (outstanding() == 0)
    stop_processes();
}

void PoolCore::cancel_queued() {
  for (auto& r : queued_)
    if (r->stage == PoolRequest::Stage::queued) {
      --queued_live_;
      finish(r, std::make_exception_ptr(PoolCancelled(
                    "tide::ProcessPool: the task was cancelled by shutdown(cancel_futures)")));
    }
  if (loop_ != nullptr) schedule();
}

void PoolCore::terminate() {
  closed_ = true;
  fail_everything("tide::ProcessPool: the pool was terminated before this task finished");
  stop_processes();
  if (loop_ != nullptr) schedule();  // notifies the failed tasks and the joiners
}

// ---- the turn --------------------------------------------------------------------------------

void PoolCore::schedule() noexcept {
  if (pump_scheduled_ || !pump_ || loop_ == nullptr) return;
  pump_scheduled_ = true;
  loop_->schedule(pump_, nullptr);
}

void PoolCore::turn() noexcept {
  pump_scheduled_ = false;
  in_turn_ = true;
  ++turns_;
  try {
    if (!stopped_) {
      if (control_op_.fired) {
        control_op_.fired = false;
        read_control();
      }
      for (auto& w : workers_)
        if (w->read_op.fired) {
          w->read_op.fired = false;
          read_answers(*w);
        }
      dispatch();
      for (auto& w : workers_) {
        w->write_op.fired = false;
        if (w->out.size() > w->out_sent && !w->write_op.in_flight) flush(*w);
      }
      arm();
    }
  } catch (...) {
    // A syscall failed in a way that leaves the pool unusable (the fork server's socket).
    loop_->report_unhandled(std::current_exception(), "tide::ProcessPool");
    broken_ = true;
    fail_everything("tide::ProcessPool: the pool broke: see the loop's unhandled-exception report");
  }
  if (closed_ && !stopped_ && outstanding() == 0) stop_processes();
  update_spin();
  in_turn_ = false;
  notify_finished();
  if (stopped_) stopped_waiters_.wake_all();
}

std::size_t PoolCore::outstanding() const noexcept {
  std::size_t n = queued_live_;
  for (const auto& w : workers_)
    n += w->in_flight.size();
  return n;
}

void PoolCore::update_spin() noexcept {
  bool due = false;
  for (const auto& w : workers_)
    if (!w->in_flight.empty() && !w->killing) due = true;
  if (loop_ == nullptr) return;
  if (due && !expecting_) loop_->expect_completions_soon();
  if (!due && expecting_) loop_->completions_soon_ended();
  expecting_ = due;
}

void PoolCore::read_control() {
  for (;;) {
    ControlReport report{};
    const ssize_t n = ::recv(control_, &report, sizeof report, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      throw_errno("tide::ProcessPool: reading from the fork server");
    }
    if (n == 0) {
      broken_ = true;
      fail_everything("tide::ProcessPool: the pool's fork server died");
      return;
    }
    if (static_cast<std::size_t>(n) != sizeof report || report.slot >= workers_.size()) continue;
    Worker& w = *workers_[report.slot];
    switch (report.kind) {
      case ControlReport::spawned:
        w.pid = report.pid;
        break;
      case ControlReport::exited:
        handle_exit(w, report.status);
        break;
      case ControlReport::spawn_failed:
        w.eof = true;
        disarm(w.read_op);
        disarm(w.write_op);
        if (w.fd >= 0) tide::detail::close_fd(w.fd);
        w.fd = -1;
        if (std::none_of(workers_.begin(), workers_.end(), [](const auto& x) { return !x->eof; })) {
          broken_ = true;
          fail_everything(std::string("tide::ProcessPool: no worker could be started (fork: ") +
                          std::strerror(report.status) + ")");
        }
        break;
      default:
        break;
    }
  }
}

void PoolCore::handle_exit(Worker& w, int status) {
  const pid_t pid = w.pid;
  read_answers(w);  // what it wrote before it died is all in the socket
  disarm(w.read_op);
  disarm(w.write_op);
  if (w.fd >= 0) tide::detail::close_fd(w.fd);
  w.fd = -1;
  w.eof = true;
  // The calls it began minus those it answered: the last of them was running when it died.
  // Earlier ones finished but their answers (written once per batch) were lost with it: they
  // run again elsewhere, as do the calls it never began.
  const std::uint64_t started = progress_[w.slot].started.load(std::memory_order_acquire);
  std::uint64_t begun_unanswered = started > w.answered ? started - w.answered : 0;
  std::deque<RequestPtr> again;
  std::size_t index = 0;
  while (!w.in_flight.empty()) {
    RequestPtr r = std::move(w.in_flight.front());
    w.in_flight.pop_front();
    ++index;
    if (index == begun_unanswered) {
      if (r->stage == PoolRequest::Stage::sent) finish(r, crashed(pid, status));
    } else if (r->stage == PoolRequest::Stage::sent) {
      if (r->abandoned) {
        r->stage = PoolRequest::Stage::done;  // nobody waits: do not run it again
        r->core = nullptr;
        if (r->deadline && r->deadline->armed()) loop_->remove_timer(*r->deadline);
      } else {
        r->stage = PoolRequest::Stage::queued;
        ++queued_live_;
        again.push_back(std::move(r));
      }
    }
  }
  queued_.insert(queued_.begin(), std::make_move_iterator(again.begin()),
                 std::make_move_iterator(again.end()));
  if (!closed_ || outstanding() > 0) {
    if (!broken_) start_worker(w);
  }
}

void PoolCore::read_answers(Worker& w) {
  if (w.fd < 0) return;
  for (;;) {
    const std::size_t have = w.in.size();
    if (w.in.capacity() - have < 4096) w.in.reserve(std::max<std::size_t>(65536, have * 2));
    w.in.resize(w.in.capacity());
    const ssize_t n = ::recv(w.fd, w.in.data() + have, w.in.size() - have, MSG_DONTWAIT);
    if (n <= 0) {
      w.in.resize(have);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) w.eof = true;
      break;
    }
    w.in.resize(have + static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < w.in.size() - have) break;  // drained for now
  }
  std::size_t pos = 0;
  const std::size_t size = w.in.size();
  while (size - pos >= frame_length_size) {
    const auto length = get_raw<std::uint32_t>(w.in.data() + pos);
    if (size - pos - frame_length_size < length) break;
    const char* body = w.in.data() + pos + frame_length_size;
    pos += frame_length_size + length;
    ++w.answered;
    w.last_active = turns_;
    if (w.in_flight.empty()) continue;  // cannot happen with a well-behaved worker
    RequestPtr r = std::move(w.in_flight.front());
    w.in_flight.pop_front();
    if (r->deadline) w.holds_deadline_task = false;
    if (r->stage != PoolRequest::Stage::sent) continue;  // timed out meanwhile
    if (r->abandoned) {
      r->stage = PoolRequest::Stage::done;
      r->core = nullptr;
      if (r->deadline && r->deadline->armed()) loop_->remove_timer(*r->deadline);
      continue;
    }
    const std::string_view payload(body + 1, length - 1);
    if (length >= 1 && static_cast<std::uint8_t>(body[0]) == answer_ok) {
      r->set_value(payload);
      finish(r, r->error);
    } else {
      std::string type_name, message;
      try {
        decode_into(payload, type_name, message);
      } catch (...) {
        type_name = "unknown";
        message = "(the worker's description of the exception did not decode)";
      }
      finish(r, std::make_exception_ptr(RemoteError(std::move(type_name), std::move(message))));
    }
  }
  w.in.erase(0, pos);
}

void PoolCore::dispatch() {
  while (!queued_.empty()) {
    RequestPtr& r = queued_.front();
    if (r->stage != PoolRequest::Stage::queued) {
      queued_.pop_front();
      continue;
    }
    Worker* best = nullptr;
    for (auto& wp : workers_) {
      Worker& w = *wp;
      if (w.fd < 0 || w.eof || w.killing || w.holds_deadline_task) continue;
      if (r->deadline ? !w.in_flight.empty() : w.in_flight.size() >= options_.max_in_flight)
        continue;
      if (best == nullptr || w.in_flight.size() < best->in_flight.size() ||
          (w.in_flight.size() == best->in_flight.size() && w.last_active > best->last_active))
        best = &w;
    }
    if (best == nullptr) return;
    Worker& w = *best;
    const std::size_t mark = w.out.size();
    try {
      put_u32(w.out, 0);
      put_u64(w.out, reinterpret_cast<std::uintptr_t>(r->trampoline));
      put_u64(w.out, r->function);
      r->encode_args(w.out);
      patch_u32(w.out, mark, static_cast<std::uint32_t>(w.out.size() - mark - frame_length_size));
    } catch (...) {
      w.out.resize(mark);
      --queued_live_;
      finish(r, std::current_exception());
      queued_.pop_front();
      continue;
    }
    --queued_live_;
    r->stage = PoolRequest::Stage::sent;
    r->worker = w.slot;
    if (r->deadline) w.holds_deadline_task = true;
    w.in_flight.push_back(std::move(r));
    queued_.pop_front();
  }
}

void PoolCore::flush(Worker& w) {
  while (w.out_sent < w.out.size()) {
    const ssize_t n = ::send(w.fd, w.out.data() + w.out_sent, w.out.size() - w.out_sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      w.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // arm() waits for POLLOUT
    w.eof = true;  // EPIPE/ECONNRESET: it died; the server's report follows
    w.out.clear();
    w.out_sent = 0;
    return;
  }
  w.out.clear();
  w.out_sent = 0;
}

void PoolCore::arm() {
  bool need_control = outstanding() > 0;
  for (auto& wp : workers_) {
    Worker& w = *wp;
    if (w.fd < 0) continue;
    if (!w.in_flight.empty() && !w.read_op.in_flight && !w.eof) arm_op(w.read_op, w.fd, POLLIN);
    if (w.out.size() > w.out_sent && !w.write_op.in_flight && !w.eof)
      arm_op(w.write_op, w.fd, POLLOUT);
    if (w.killing) need_control = true;
  }
  if (need_control && !control_op_.in_flight && control_ >= 0)
    arm_op(control_op_, control_, POLLIN);
}

void PoolCore::arm_op(PollOp& op, int fd, unsigned events) {
  op.kind = tide::detail::IoOp::Kind::poll;
  op.fd = fd;
  op.poll_events = events;
  op.on_complete = &op_completed;
  op.fired = false;
  loop_->io_submit(op);
}

void PoolCore::disarm(PollOp& op) noexcept {
  if (op.in_flight && loop_ != nullptr) loop_->io_abandon(op);
  op.fired = false;
}

void PoolCore::op_completed(tide::detail::IoOp& op) noexcept {
  auto& self = static_cast<PollOp&>(op);
  self.fired = true;
  self.core->schedule();
}

void PoolCore::deadline_fired(tide::detail::TimerNode& node) noexcept {
  auto& d = static_cast<PoolRequest::Deadline&>(node);
  PoolRequest& r = *d.owner;
  PoolCore& self = *r.core;
  RequestPtr keep;
  auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.timeout).count();
  if (r.stage == PoolRequest::Stage::queued) {
    --self.queued_live_;
    for (auto& q : self.queued_)
      if (q.get() == &r) keep = q;
    self.finish(keep, std::make_exception_ptr(TaskTimeout(
                          "tide::ProcessPool: the task did not finish within its deadline (" +
                          std::to_string(timeout_ms) + " ms); no worker had taken it yet")));
  } else if (r.stage == PoolRequest::Stage::sent) {
    Worker& w = *self.workers_[r.worker];
    for (auto& q : w.in_flight)
      if (q.get() == &r) keep = q;
    w.killing = true;
    try {
      self.send_control({ControlRequest::kill, w.slot});
    } catch (...) {
      self.loop_->report_unhandled(std::current_exception(), "tide::ProcessPool deadline");
    }
    self.finish(keep, std::make_exception_ptr(TaskTimeout(
                          "tide::ProcessPool: the task did not finish within its deadline (" +
                          std::to_string(timeout_ms) + " ms); its worker (pid " +
                          std::to_string(w.pid) + ") was killed and is being replaced")));
  }
  self.schedule();
}

void PoolCore::finish(const RequestPtr& request, std::exception_ptr error) noexcept {
  if (!request) return;
  PoolRequest& r = *request;
  r.stage = PoolRequest::Stage::done;
  r.error = std::move(error);
  if (r.deadline && r.deadline->armed() && loop_ != nullptr) loop_->remove_timer(*r.deadline);
  r.core = nullptr;
  if (r.abandoned) return;
  try {
    finished_.push_back(request);
  } catch (...) {
    // Out of memory: notify at once instead (the callback, if any, is skipped).
    if (r.notify && r.listener) r.notify(r.listener, r);
    return;
  }
  if (!in_turn_) schedule();
}

void PoolCore::notify_finished() noexcept {
  std::vector<RequestPtr> batch;
  batch.swap(finished_);
  for (auto& r : batch) {
    if (r->notify && r->listener) {
      void* listener = std::exchange(r->listener, nullptr);
      r->notify(listener, *r);
    }
    if (r->callback) {
      try {
        r->callback(*r);
      } catch (...) {
        if (loop_ != nullptr)
          loop_->report_unhandled(std::current_exception(), "a tide::ProcessPool callback");
      }
    }
  }
}

void PoolCore::fail_everything(const std::string& why) noexcept {
  auto error = std::make_exception_ptr(PoolClosed(why));
  for (auto& r : queued_)
    if (r->stage == PoolRequest::Stage::queued) finish(r, error);
  queued_.clear();
  queued_live_ = 0;
  for (auto& w : workers_) {
    for (auto& r : w->in_flight)
      if (r->stage == PoolRequest::Stage::sent) {
        finish(r, error);
      } else {
        r->core = nullptr;
      }
    w->in_flight.clear();
    w->holds_deadline_task = false;
  }
}

void PoolCore::stop_processes() noexcept {
  if (stopped_) return;
  stopped_ = true;
  closed_ = true;
  for (auto& w : workers_) {
    disarm(w->read_op);
    disarm(w->write_op);
    if (w->fd >= 0) tide::detail::close_fd(w->fd);
    w->fd = -1;
    w->eof = true;
  }
  disarm(control_op_);
  // The server takes its control socket's end of file as the order to SIGKILL and reap its
  // workers, then exits; it has nothing else to do, so this wait is short.
  if (control_ >= 0) tide::detail::close_fd(control_);
  control_ = -1;
  if (server_pid_ > 0) {
    int status = 0;
    while (::waitpid(server_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    server_pid_ = -1;
  }
  if (progress_ != nullptr) ::munmap(progress_, sizeof(SlotProgress) * workers_.size());
  progress_ = nullptr;
  update_spin();
}

void PoolCore::loop_gone() noexcept {
  // The loop is being destroyed (its frames are gone, its backend not yet): let go of every
  // operation now, and of the pump (the ready queue no longer holds it).
  for (auto& w : workers_) {
    disarm(w->read_op);
    disarm(w->write_op);
  }
  disarm(control_op_);
  if (pump_) {
    pump_.destroy();
    pump_ = nullptr;
    link_->pump = nullptr;
  }
  pump_scheduled_ = false;
  expecting_ = false;
  loop_ = nullptr;
  link_ = nullptr;
}

// ---- the hooks PoolFuture calls ---------------------------------------------------------------

void pool_submit(PoolCore& core, std::shared_ptr<PoolRequest> request) {
  core.submit(std::move(request));
}
void pool_drop(PoolCore& core, PoolRequest& request) noexcept {
  core.drop(request);
}
bool pool_withdraw(PoolCore& core, PoolRequest& request) noexcept {
  return core.withdraw(request);
}
void describe_pool_wait(const PoolRequest& request, tide::detail::WaitInfo& info) {
  using Stage = PoolRequest::Stage;
  info.what = "ProcessPool call ";
  if (request.stage == Stage::queued) {
    info.what += "queued";
  } else if (request.stage == Stage::sent && request.core != nullptr) {
    info.what += "in worker " + std::to_string(request.worker);
    if (const pid_t pid = request.core->worker_pid(request.worker); pid > 0)
      info.what += " (process " + std::to_string(pid) + ")";
  } else {
    info.what += "answered";
  }
}

}  // namespace tide::io::detail
