#include <tide/io/signals.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

#include <tide/core/detail/io_op.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/loop.hpp>
#include <tide/io/fd.hpp>

namespace tide::io {

namespace {

// ---- the process-wide table the handler reads ---------------------------------------------
//
// The handler may run on any thread at any moment, so it touches only this fixed table of
// lock-free atomics and write(2). Everything else (which slot is whose, the saved dispositions)
// sits behind `g_mutex` and is touched only outside handlers.

using Mask = std::uint64_t;  // bit (s - 1) stands for signal s; signals are 1..64 on Linux
static_assert(NSIG - 1 <= 64, "signal numbers must fit a 64-bit mask");
static_assert(std::atomic<Mask>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

constexpr Mask bit(int signal) noexcept {
  return Mask{1} << (signal - 1);
}

constexpr std::size_t max_objects = 256;

// One live Signals object as the handler sees it.
struct Slot {
  std::atomic<Mask> wanted{0};    // the signals it subscribes to; 0 while the slot is free
  std::atomic<Mask> pending{0};   // set by the handler, taken (exchanged to 0) by the loop
  std::atomic<int> write_fd{-1};  // the self-pipe's write end; -1 while free
  std::atomic<int> busy{0};       // handlers inside this slot now: release waits for 0
};
std::array<Slot, max_objects> g_slots;

// Guarded by g_mutex.
std::mutex g_mutex;
std::array<bool, max_objects> g_claimed{};      // slot in use by a Signals object
std::array<int, NSIG> g_subscribers{};          // Signals objects subscribed, per signal
std::array<struct sigaction, NSIG> g_previous;  // the disposition tide replaced, per signal
std::once_flag g_atfork_once;

extern "C" void on_signal(int signal) {
  const int saved_errno = errno;
  const Mask b = bit(signal);
  const auto byte = static_cast<unsigned char>(signal);
  for (Slot& slot : g_slots) {
    if ((slot.wanted.load() & b) == 0) continue;
    // `busy` is raised before `write_fd` is read: a release that clears `write_fd` and then
    // sees busy == 0 knows that no handler can still write to the fd it is about to close
    // (every operation here is sequentially consistent).
    slot.busy.fetch_add(1);
    const int fd = slot.write_fd.load();
    if (fd >= 0 && (slot.wanted.load() & b) != 0) {
      // The mask is the record; the byte is only the wake-up. A full pipe (EAGAIN) already
      // holds a wake-up, so a failed write loses nothing.
      slot.pending.fetch_or(b);
      [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
    }
    slot.busy.fetch_sub(1);
  }
  errno = saved_errno;
}

// A forked child does not own its parent's Signals objects (it must not even touch them), so
// it starts with no subscription and the dispositions tide replaced are put back. The mutex is
// taken across fork() so the child never inherits it locked.
void before_fork() noexcept {
  g_mutex.lock();
}
void after_fork_in_parent() noexcept {
  g_mutex.unlock();
}
void after_fork_in_child() noexcept {
  for (Slot& slot : g_slots) {
    slot.wanted.store(0);
    slot.write_fd.store(-1);
    slot.pending.store(0);
    slot.busy.store(0);
  }
  g_claimed.fill(false);
  for (int s = 1; s < NSIG; ++s) {
    if (g_subscribers[s] > 0) ::sigaction(s, &g_previous[s], nullptr);
    g_subscribers[s] = 0;
  }
  g_mutex.unlock();
}

std::string signal_name(int signal) {
  if (signal > 0 && signal < NSIG) {
    if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  }
  return "signal " + std::to_string(signal);
}

void check_signal(int signal) {
  const std::string who = "tide::io::Signals: ";
  if (signal < 1 || signal >= NSIG)
    throw std::invalid_argument(who + std::to_string(signal) + " is not a signal number (1 to " +
                                std::to_string(NSIG - 1) + ")");
  switch (signal) {
    case SIGKILL:
    case SIGSTOP:
      throw std::invalid_argument(who + signal_name(signal) + " cannot be caught");
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
      throw std::invalid_argument(who + signal_name(signal) +
                                  " is a synchronous fault signal: its handler must act in the "
                                  "faulting thread, so it cannot be waited for");
    default:
      break;
  }
  if (signal < SIGRTMIN && signal > SIGSYS)
    throw std::invalid_argument(who + "signal " + std::to_string(signal) +
                                " is reserved by the C library (its threads use it)");
}

}  // namespace

// ---- the loop side ---------------------------------------------------------------------------

struct Signals::State {
  State(tide::detail::LoopCore& loop, std::initializer_list<int> signals);
  ~State();

  void add(int signal);
  void remove(int signal) noexcept;
  void drain() noexcept;
  int take_pending() noexcept;
  void deliver(int signal) noexcept;
  void arm() noexcept;
  static void completed(tide::detail::IoOp& op) noexcept;
  static void waiter_left(void* self) noexcept;
  static void unclaimed(void*) noexcept {}  // the others woken with it got their copy
  void release_slot() noexcept;

  struct Op : tide::detail::IoOp {
    State* owner = nullptr;
  };

  tide::detail::LoopCore* loop;
  Fd read_end;
  Fd write_end;
  std::size_t slot = max_objects;  // index in g_slots; max_objects: none claimed yet
  Mask subscribed = 0;             // loop-side copy of g_slots[slot].wanted
  Mask pending = 0;                // deliveries taken from the slot, not yet returned
  tide::detail::WaitQueue waiters{
      {.owner = this, .left = &waiter_left, .unclaimed = &unclaimed, .what = "Signals wait"}};
  Op op;  // the poll on read_end, in flight while tasks wait (or being cancelled)
};

Signals::State::State(tide::detail::LoopCore& core, std::initializer_list<int> signals)
    : loop(&core) {
  for (int s : signals)
    check_signal(s);  // before anything is made, so bad input leaves nothing behind
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    throw std::system_error(errno, std::system_category(), "tide::io::Signals: pipe2");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  std::call_once(g_atfork_once, [] {
    ::pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  });
  {
    std::lock_guard lock(g_mutex);
    for (std::size_t i = 0; i < max_objects; ++i) {
      if (g_claimed[i]) continue;
      g_claimed[i] = true;
      slot = i;
      break;
    }
  }
  if (slot == max_objects)
    throw std::length_error("tide::io::Signals: " + std::to_string(max_objects) +
                            " Signals objects are alive already (the handler's fixed table)");
  g_slots[slot].write_fd.store(write_end.get());
  op.fd = read_end.get();
  op.kind = tide::detail::IoOp::Kind::poll;
  op.poll_events = POLLIN;
  op.on_complete = &completed;
  op.owner = this;
  try {
    for (int s : signals)
      add(s);
  } catch (...) {
    for (int s = 1; s < NSIG; ++s)
      remove(s);
    release_slot();
    throw;
  }
}

// Once no signal is wanted any more: the slot goes back to the table, after any handler still
// inside it has left (one on another thread may be between reading the fd and writing to it;
// the pipe is closed only after this, and a handler runs for microseconds).
void Signals::State::release_slot() noexcept {
  Slot& mine = g_slots[slot];
  mine.write_fd.store(-1);
  while (mine.busy.load() != 0)
    ::sched_yield();
  mine.pending.store(0);
  std::lock_guard lock(g_mutex);
  g_claimed[slot] = false;
}

Signals::State::~State() {
  for (int s = 1; s < NSIG; ++s)
    remove(s);
  release_slot();
  if (op.in_flight) loop->io_abandon(op);
  while (tide::detail::WaitNode* front = waiters.front()) {
    auto& w = static_cast<WaitAwaiter&>(*front);
    w.signal_ = -EBADF;
    w.state_ = nullptr;
    w.leave_queue();
    waiters.wake_one();
  }
}

void Signals::State::add(int signal) {
  check_signal(signal);
  const Mask b = bit(signal);
  if ((subscribed & b) != 0) return;
  std::lock_guard lock(g_mutex);
  // Marked wanted before the handler is installed: a delivery in between still goes to the
  // previous disposition, and none after it is missed.
  g_slots[slot].wanted.fetch_or(b);
  if (g_subscribers[signal] == 0) {
    struct sigaction ours {};
    ours.sa_handler = &on_signal;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_RESTART;  // other threads' blocking calls go on as if nothing happened
    if (::sigaction(signal, &ours, &g_previous[signal]) != 0) {
      const int e = errno;
      g_slots[slot].wanted.fetch_and(~b);
      throw std::system_error(e, std::system_category(),
                              "tide::io::Signals: sigaction(" + signal_name(signal) + ")");
    }
  }
  ++g_subscribers[signal];
  subscribed |= b;
}

void Signals::State::remove(int signal) noexcept {
  if (signal < 1 || signal >= NSIG) return;
  const Mask b = bit(signal);
  if ((subscribed & b) == 0) return;
  {
    std::lock_guard lock(g_mutex);
    if (--g_subscribers[signal] == 0) ::sigaction(signal, &g_previous[signal], nullptr);
    g_slots[slot].wanted.fetch_and(~b);
    g_slots[slot].pending.fetch_and(~b);  // a delivery not yet drained goes too
  }
  subscribed &= ~b;
  pending &= ~b;
}

// Takes what the handler recorded. The pipe is emptied first and the mask read after: a
// delivery that lands in between writes a byte again, so the poll wakes once more and nothing
// is lost (at worst a wake-up finds nothing new).
void Signals::State::drain() noexcept {
  unsigned char bytes[64];
  while (::read(read_end.get(), bytes, sizeof bytes) > 0) {
  }
  pending |= g_slots[slot].pending.exchange(0) & subscribed;
}

int Signals::State::take_pending() noexcept {
  if (pending == 0) return 0;
  const int signal = std::countr_zero(pending) + 1;
  pending &= ~bit(signal);
  return signal;
}

// Hands `signal` to every task and fibre waiting now. Wake-ups only schedule them, so none can
// queue again during this loop.
void Signals::State::deliver(int signal) noexcept {
  while (tide::detail::WaitNode* front = waiters.front()) {
    static_cast<WaitAwaiter&>(*front).signal_ = signal;
    waiters.wake_one();
  }
}

void Signals::State::arm() noexcept {
  if (op.in_flight) return;
  try {
    loop->io_submit(op);
  } catch (const std::system_error& e) {
    deliver(-e.code().value());  // the waiters get the error: nothing would wake them
  } catch (...) {
    deliver(-ENOMEM);
  }
}

void Signals::State::completed(tide::detail::IoOp& io) noexcept {
  State& self = *static_cast<Op&>(io).owner;
  if (io.result < 0 && io.result != -ECANCELED) {
    self.deliver(static_cast<int>(io.result));
    return;
  }
  self.drain();
  if (!self.waiters.empty()) {
    if (const int signal = self.take_pending()) self.deliver(signal);
  }
  if (!self.waiters.empty()) self.arm();  // a cancelled poll, or a wake-up with nothing new
}

// The last waiter gave up: stop watching the pipe, so an idle Signals object holds no
// operation in the loop (a delivery meanwhile stays in the pipe and the mask).
void Signals::State::waiter_left(void* self) noexcept {
  auto& state = *static_cast<State*>(self);
  if (state.waiters.empty() && state.op.in_flight) state.loop->io_cancel(state.op);
}

// ---- Signals ---------------------------------------------------------------------------------

Signals::Signals(std::initializer_list<int> signals)
    : state_(std::make_unique<State>(tide::detail::current_core("tide::io::Signals"), signals)) {}

Signals::Signals(Loop& loop, std::initializer_list<int> signals)
    : state_(std::make_unique<State>(loop.core(), signals)) {}

Signals::Signals(Signals&&) noexcept = default;
Signals& Signals::operator=(Signals&&) noexcept = default;
Signals::~Signals() = default;

void Signals::add(int signal) {
  state_->add(signal);
}

void Signals::remove(int signal) {
  state_->remove(signal);
}

bool Signals::contains(int signal) const noexcept {
  return signal >= 1 && signal < NSIG && (state_->subscribed & bit(signal)) != 0;
}

Signals::WaitAwaiter Signals::wait() noexcept {
  return WaitAwaiter(*state_);
}

std::optional<int> Signals::try_wait() noexcept {
  state_->drain();
  if (const int signal = state_->take_pending()) return signal;
  return std::nullopt;
}

std::size_t Signals::waiting() const noexcept {
  return state_->waiters.size();
}

// ---- one wait --------------------------------------------------------------------------------

Signals::WaitAwaiter::WaitAwaiter(State& state) noexcept
    : tide::detail::WaitQueue::Awaiter(state.waiters, nullptr, nullptr), state_(&state) {}

bool Signals::WaitAwaiter::await_ready() noexcept {
  state_->drain();
  signal_ = state_->take_pending();
  if (signal_ == 0) return false;
  state_->deliver(signal_);  // tasks already waiting get it too: it arrived while they waited
  return true;
}

void Signals::WaitAwaiter::arm() {
  state_->arm();
}

int Signals::WaitAwaiter::await_resume() {
  tide::detail::WaitQueue::Awaiter::await_resume();  // raises Cancelled
  if (signal_ > 0) return signal_;
  if (state_ == nullptr)
    throw std::system_error(EBADF, std::system_category(),
                            "tide::io::Signals::wait: the Signals object was destroyed");
  throw std::system_error(-signal_, std::system_category(),
                          "tide::io::Signals::wait: watching the self-pipe");
}

}  // namespace tide::io
