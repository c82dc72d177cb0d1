#include <tide/io/process_queue.hpp>

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <new>
#include <system_error>

#include <tide/io/ops.hpp>

namespace tide::io::detail {

namespace {

// Unix datagram and seqpacket sockets refuse a record longer than the send buffer less this
// (net/unix/af_unix.c, unix_dgram_sendmsg: `len > sk->sk_sndbuf - 32` is EMSGSIZE).
constexpr std::size_t kernel_record_overhead = 32;

[[noreturn]] void throw_errno(int error, const char* name, const std::string& what) {
  throw std::system_error(error, std::system_category(), std::string(name) + ": " + what);
}

}  // namespace

// The control block, in shared memory (every process forked after the queue was made sees
// the same one).
// Every record starts with ProcessQueueCore::record_tag. It makes every record at least one
// byte long, so a zero-length read can only mean that every sending end is closed (an item
// whose encoding is empty, such as an empty struct, would otherwise look like the end).

struct ProcessQueueCore::Control {
  // Robust and process-shared. Guards `unfinished`, `idle_epoch` and the state of the idle
  // eventfd, whose invariant (kept under it) is: readable with value 1 exactly while
  // `unfinished` is 0, else 0. Held for a counter update and at most one eventfd syscall.
  pthread_mutex_t mutex;
  // Items counted in by a put that is sending (or has sent) and not yet received: size().
  // Incremented before the send, so it never goes below zero; a snapshot for callers.
  std::atomic<std::int64_t> queued{0};
  // Items put and not yet marked by task_done. Written under `mutex`, read anywhere.
  std::atomic<std::int64_t> unfinished{0};
  // Bumped (under `mutex`) each time `unfinished` drops to zero, so a joiner woken by a zero
  // that was gone again when it looked still returns.
  std::atomic<std::uint64_t> idle_epoch{0};
};

namespace {

// Holds the control block's mutex; repairs the idle eventfd if the last holder died inside.
class ControlLock {
 public:
  ControlLock(pthread_mutex_t& mutex, int idle_fd, const std::atomic<std::int64_t>& unfinished,
              const char* name)
      : mutex_(&mutex) {
    const int rc = ::pthread_mutex_lock(mutex_);
    if (rc == EOWNERDEAD) {
      // A process died holding it, between the counter and the eventfd: make the eventfd
      // agree with the counter again (both orders of update leave the counter right).
      (void)eventfd_take(idle_fd, name);
      if (unfinished.load() == 0) eventfd_add(idle_fd, 1, name);
      ::pthread_mutex_consistent(mutex_);
    } else if (rc != 0) {
      throw_errno(rc, name, "locking the control block's mutex");
    }
  }
  ControlLock(const ControlLock&) = delete;
  ControlLock& operator=(const ControlLock&) = delete;
  ~ControlLock() { ::pthread_mutex_unlock(mutex_); }

 private:
  pthread_mutex_t* mutex_;
};

}  // namespace

ProcessQueueCore::ProcessQueueCore(std::size_t maxsize, const char* name)
    : name_(name), maxsize_(maxsize), control_(sizeof(Control), name) {
  if (maxsize > UINT_MAX - 1)
    throw std::invalid_argument(std::string(name) + ": maxsize " + std::to_string(maxsize) +
                                " is more than an eventfd can start with (" +
                                std::to_string(UINT_MAX - 1) + ")");
  auto* c = ::new (control_.data()) Control();
  pthread_mutexattr_t attributes;
  ::pthread_mutexattr_init(&attributes);
  ::pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  ::pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  const int rc = ::pthread_mutex_init(&c->mutex, &attributes);
  ::pthread_mutexattr_destroy(&attributes);
  if (rc != 0) throw_errno(rc, name, "pthread_mutex_init");

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
    throw_errno(errno, name, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
  receiver_.reset(fds[0]);
  sender_.reset(fds[1]);
  // Ask for far more than any system allows: the kernel clamps the request to
  // net.core.wmem_max (and doubles it). The send buffer bounds both the largest record and
  // the bytes of all records queued at once.
  int requested = 64 << 20;
  (void)::setsockopt(sender_.get(), SOL_SOCKET, SO_SNDBUF, &requested, sizeof requested);
  int granted = 0;
  socklen_t length = sizeof granted;
  if (::getsockopt(sender_.get(), SOL_SOCKET, SO_SNDBUF, &granted, &length) < 0)
    throw_errno(errno, name, "getsockopt(SO_SNDBUF)");
  // A record is one buffer in the kernel, most of it one contiguous allocation: 5 MiB fails
  // with ENOBUFS on Linux 6.18 (past kmalloc's 4 MiB), and the larger it is the likelier
  // fragmentation makes it fail. 1 MiB (order 8) is the limit we promise.
  const std::size_t record_limit =
      std::min(static_cast<std::size_t>(granted) - kernel_record_overhead, std::size_t{1} << 20);
  max_item_ = record_limit - 1;  // less the tag

  if (maxsize > 0) slots_.reset(make_eventfd(static_cast<unsigned>(maxsize), true, name));
  idle_.reset(make_eventfd(1, false, name));  // nothing unfinished yet
}

ProcessQueueCore::~ProcessQueueCore() = default;

void ProcessQueueCore::close() noexcept {
  receiver_.close();
  sender_.close();
  slots_.close();
  idle_.close();
  control_.reset();
  spare_buffers_.clear();
}

void ProcessQueueCore::check_open(const char* operation) const {
  if (closed())
    throw UsageError(std::string(name_) + "::" + operation +
                     " after close() (or on a moved-from queue)");
}

void ProcessQueueCore::check_size(std::size_t record_bytes, const char* operation) const {
  if (record_bytes - 1 > max_item_) throw_too_long(record_bytes - 1, operation, "more than");
}

void ProcessQueueCore::throw_too_long(std::size_t item_bytes, const char* operation,
                                      const char* who) const {
  throw MessageTooLong(std::string(name_) + "::" + operation + ": the item encodes to " +
                       std::to_string(item_bytes) + " bytes, " + who + " one record holds (" +
                       std::to_string(max_item_) +
                       " bytes, from the socket's send buffer; raise net.core.wmem_max to "
                       "allow more, or send large data over a Channel)");
}

std::size_t ProcessQueueCore::size() const noexcept {
  if (closed()) return 0;
  const std::int64_t n = control().queued.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t ProcessQueueCore::unfinished() const noexcept {
  if (closed()) return 0;
  const std::int64_t n = control().unfinished.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void ProcessQueueCore::begin_item() {
  Control& c = control();
  {
    ControlLock lock(c.mutex, idle_.get(), c.unfinished, name_);
    const std::int64_t before = c.unfinished.load(std::memory_order_relaxed);
    // Busy: the eventfd is drained before the count shows it, so a joiner that sees the
    // count above zero never finds the eventfd readable for this item.
    if (before == 0) (void)eventfd_take(idle_.get(), name_);
    c.unfinished.store(before + 1);
  }
  c.queued.fetch_add(1, std::memory_order_relaxed);
}

void ProcessQueueCore::end_item(const char* operation) {
  Control& c = control();
  ControlLock lock(c.mutex, idle_.get(), c.unfinished, name_);
  const std::int64_t before = c.unfinished.load(std::memory_order_relaxed);
  if (before <= 0)
    throw UsageError(std::string(name_) + "::" + operation +
                     " called more often than items were put");
  c.unfinished.store(before - 1);
  if (before == 1) {  // idle: count first, then the eventfd (see begin_item)
    c.idle_epoch.fetch_add(1);
    eventfd_add(idle_.get(), 1, name_);
  }
}

void ProcessQueueCore::undo_item() noexcept {
  control().queued.fetch_sub(1, std::memory_order_relaxed);
  try {
    end_item("put (undoing an item that was not sent)");
  } catch (...) {
    // Cannot happen (this item was counted in begin_item); nothing to report from here.
  }
}

void ProcessQueueCore::after_get(std::size_t n, bool truncated) {
  if (n == 0)
    throw QueueClosed(std::string(name_) +
                      "::get: every sending end is closed (close() was called in every "
                      "process holding the queue)");
  control().queued.fetch_sub(1, std::memory_order_relaxed);
  if (slots_) eventfd_add(slots_.get(), 1, name_);
  if (truncated)
    throw CodecError(std::string(name_) + "::get: a record of " + std::to_string(n) +
                     " bytes is longer than any put accepts: not written by a ProcessQueue");
}

Task<void> ProcessQueueCore::put(std::string record) {
  check_open("put");
  check_size(record.size(), "put");
  // What this put has taken and must give back unless the record is sent: a free slot, and
  // its count in `queued`/`unfinished`. A guard rather than a catch, so that a put whose task
  // is destroyed while it waits gives them back too.
  struct Undo {
    ProcessQueueCore* self;
    bool slot = false;
    bool counted = false;
    ~Undo() {
      if (counted) self->undo_item();
      if (slot) {
        try {
          eventfd_add(self->slots_.get(), 1, self->name_);
        } catch (...) {
          // An eventfd write fails only on a bad fd (the queue closed under the put).
        }
      }
    }
  } undo{this};
  if (slots_) {
    std::uint64_t token = 0;
    co_await io::read(slots_.get(), std::as_writable_bytes(std::span(&token, 1)));
    undo.slot = true;
  }
  begin_item();
  undo.counted = true;
  try {
    const std::size_t sent =
        co_await io::send(sender_.get(), std::as_bytes(std::span(record.data(), record.size())));
    if (sent != record.size())  // a seqpacket send is all or nothing
      throw std::logic_error(std::string(name_) + "::put: a partial record was sent");
  } catch (const std::system_error& e) {
    if (e.code() == std::error_code(EMSGSIZE, std::system_category()))
      throw_too_long(record.size() - 1, "put", "refused by the kernel, although not more than");
    throw;
  }
  undo.slot = false;
  undo.counted = false;
}

bool ProcessQueueCore::try_put(std::string_view record) {
  check_open("try_put");
  check_size(record.size(), "try_put");
  if (slots_ && eventfd_take(slots_.get(), name_) == 0) return false;
  begin_item();
  const ssize_t sent =
      ::send(sender_.get(), record.data(), record.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent >= 0) return true;
  const int error = errno;
  undo_item();
  if (slots_) eventfd_add(slots_.get(), 1, name_);
  if (error == EAGAIN || error == EWOULDBLOCK) return false;
  if (error == EMSGSIZE)
    throw_too_long(record.size() - 1, "try_put", "refused by the kernel, although not more than");
  throw_errno(error, name_, "try_put: send");
}

Task<std::size_t> ProcessQueueCore::get(std::byte* buffer) {
  check_open("get");
  const std::size_t n =
      co_await io::recv(receiver_.get(), std::span(buffer, max_item_ + 1), MSG_TRUNC);
  after_get(n, n > max_item_ + 1);
  co_return n;
}

std::optional<std::size_t> ProcessQueueCore::try_get(std::byte* buffer) {
  check_open("try_get");
  const ssize_t n = ::recv(receiver_.get(), buffer, max_item_ + 1, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    throw_errno(errno, name_, "try_get: recv");
  }
  after_get(static_cast<std::size_t>(n), static_cast<std::size_t>(n) > max_item_ + 1);
  return static_cast<std::size_t>(n);
}

void ProcessQueueCore::task_done() {
  check_open("task_done");
  end_item("task_done");
}

Task<void> ProcessQueueCore::join() {
  check_open("join");
  Control& c = control();
  const std::uint64_t epoch = c.idle_epoch.load();
  while (c.unfinished.load() != 0 && c.idle_epoch.load() == epoch)
    co_await io::wait_ready(idle_.get(), POLLIN);
}

std::unique_ptr<std::byte[]> ProcessQueueCore::borrow_buffer() {
  if (spare_buffers_.empty())
    // Uninitialised: only the bytes a record fills are ever touched (committed).
    return std::make_unique_for_overwrite<std::byte[]>(max_item_ + 1);
  auto buffer = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return buffer;
}

void ProcessQueueCore::return_buffer(std::unique_ptr<std::byte[]> buffer) noexcept {
  if (closed()) return;
  try {
    spare_buffers_.push_back(std::move(buffer));
  } catch (const std::bad_alloc&) {
    // The buffer is freed instead of kept: only a later allocation is lost.
  }
}

}  // namespace tide::io::detail
