#include <tide/io/selector.hpp>

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <ostream>
#include <sstream>
#include <system_error>

#include <tide/core/errors.hpp>

namespace tide::io {

namespace {

using tide::detail::IoOp;
using tide::detail::LoopCore;
using tide::detail::WaitResult;
using State = detail::SelectorEntry::State;

constexpr unsigned known_events = static_cast<unsigned>(Events::read | Events::write);

std::string fd_name(int fd) {
  return "fd " + std::to_string(fd);
}

std::uint32_t poll_events_for(Events events) noexcept {
  std::uint32_t bits = 0;
  if (has(events, Events::read)) bits |= POLLIN;
  if (has(events, Events::write)) bits |= POLLOUT;
  return bits;
}

// As Python's PollSelector reads revents: anything but POLLOUT (data, hang-up, error) counts
// as readable, anything but POLLIN as writable; the key's events then filter.
Events events_from(std::uint32_t revents) noexcept {
  Events ready{};
  if (revents & ~static_cast<std::uint32_t>(POLLOUT)) ready |= Events::read;
  if (revents & ~static_cast<std::uint32_t>(POLLIN)) ready |= Events::write;
  return ready;
}

void check_events(const char* what, int fd, Events events) {
  const auto bits = static_cast<unsigned>(events);
  if (bits == 0 || (bits & ~known_events) != 0)
    throw std::invalid_argument(std::string(what) + ": invalid events " + to_string(events) +
                                " for " + fd_name(fd) + " (Events::read, Events::write, or both)");
}

struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
};

// The identity of the open file behind `fd`; Python's ValueError cases as invalid_argument.
FileId identify(const char* what, int fd) {
  if (fd < 0) throw std::invalid_argument(std::string(what) + ": " + fd_name(fd) + " is negative");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    if (errno == EBADF)
      throw std::invalid_argument(std::string(what) + ": " + fd_name(fd) + " is not open");
    throw std::system_error(errno, std::system_category(),
                            std::string(what) + ": fstat of " + fd_name(fd));
  }
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    throw std::invalid_argument(std::string(what) + ": " + fd_name(fd) + " is a " +
                                (S_ISREG(st.st_mode) ? "regular file" : "directory") +
                                ", which is always ready: it cannot be waited for (epoll "
                                "refuses it, so no backend takes it)");
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

[[noreturn]] void throw_closed_while_registered(const char* what, int fd) {
  throw KeyError(std::string(what) + ": " + fd_name(fd) +
                 " was closed while registered (behind tide's back: not through tide::io::Fd "
                 "or close_fd), and the number now names another file or none; unregister(" +
                 std::to_string(fd) + ") first");
}

}  // namespace

std::string to_string(Events events) {
  auto bits = static_cast<unsigned>(events);
  std::string text;
  auto add = [&](const std::string& part) {
    if (!text.empty()) text += '|';
    text += part;
  };
  if (bits & static_cast<unsigned>(Events::read)) add("read");
  if (bits & static_cast<unsigned>(Events::write)) add("write");
  if (bits & ~known_events) {
    std::ostringstream hex;
    hex << "0x" << std::hex << (bits & ~known_events);
    add(hex.str());
  }
  return text.empty() ? "none" : text;
}

std::ostream& operator<<(std::ostream& out, Events events) {
  return out << to_string(events);
}

// ---- the loop's selectors ------------------------------------------------------------------

/// The selectors bound to one loop, kept as the loop's extension: the loop destroys it after
/// every task and fibre and before its backend, so a selector that outlives its loop has its
/// operations withdrawn while the backend can still take them back.
struct SelectorRegistry {
  tide::detail::IntrusiveList<Selector, &Selector::loop_hook_> selectors;

  SelectorRegistry() = default;
  SelectorRegistry(const SelectorRegistry&) = delete;
  SelectorRegistry& operator=(const SelectorRegistry&) = delete;
  ~SelectorRegistry() {
    while (Selector* s = selectors.pop_front()) {
      s->registry_ = nullptr;
      s->detach_from_loop();
    }
  }

  static SelectorRegistry& of(LoopCore& loop) {
    static const char key = 0;
    if (void* found = loop.extension(&key)) return *static_cast<SelectorRegistry*>(found);
    auto made = std::make_shared<SelectorRegistry>();
    SelectorRegistry& registry = *made;
    loop.set_extension(&key, std::move(made));
    return registry;
  }
};

// ---- Selector ------------------------------------------------------------------------------

Selector::Selector(Options options) noexcept
    : FdWatcher(&fd_forgotten),
      options_(options),
      waiters_({.owner = this, .unclaimed = &waiter_unclaimed, .what = "Selector select"}) {
  TimerNode::fire = &run_callbacks;
}

Selector::~Selector() {
  close();
}

void Selector::bind(const char* what) {
  thread_.check("tide::io::Selector", this);
  if (closed_) throw UsageError(std::string(what) + ": the selector is closed");
  if (loop_ != nullptr) return;
  LoopCore& loop = tide::detail::current_core(what);
  SelectorRegistry& registry = SelectorRegistry::of(loop);
  loop_ = &loop;
  loop.add_fd_watcher(*this);
  registry.selectors.push_back(*this);
  registry_ = &registry;
}

Selector::Entry* Selector::entry_of(int fd) const noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= entries_.size()) return nullptr;
  return entries_[static_cast<std::size_t>(fd)].get();
}

Selector::Entry& Selector::find(int fd, const char* what) const {
  thread_.check("tide::io::Selector", this);
  if (closed_) throw UsageError(std::string(what) + ": the selector is closed");
  Entry* e = entry_of(fd);
  if (e == nullptr) throw KeyError(std::string(what) + ": " + fd_name(fd) + " is not registered");
  if (e->state == State::stale || (options_.verify_files && !same_file(*e)))
    throw_closed_while_registered(what, fd);
  return *e;
}

bool Selector::same_file(const Entry& e) const noexcept {
  struct stat st {};
  return ::fstat(e.fd, &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == e.device &&
         static_cast<std::uint64_t>(st.st_ino) == e.inode;
}

const SelectorKey& Selector::register_fd(int fd, Events events, std::any data) {
  return add(fd, events, std::move(data), nullptr);
}

const SelectorKey& Selector::register_callback(int fd, Events events,
                                               std::shared_ptr<Callback> cb) {
  return add(fd, events, {}, std::move(cb));
}

const SelectorKey& Selector::add(int fd, Events events, std::any data,
                                 std::shared_ptr<Callback> cb) {
  const char* what = "tide::io::Selector::register_fd";
  bind(what);
  const FileId id = identify(what, fd);
  check_events(what, fd, events);
  if (Entry* old = entry_of(fd)) {
    if (old->state != State::stale && old->device == id.device && old->inode == id.inode)
      throw KeyError(std::string(what) + ": " + fd_name(fd) + " is already registered (for " +
                     to_string(old->key.events) + ")");
    mark_stale(*old);
    throw_closed_while_registered(what, fd);
  }
  const auto slot = static_cast<std::size_t>(fd);
  if (slot >= entries_.size()) entries_.resize(std::max(slot + 1, entries_.size() * 2));
  auto made = std::make_unique<Entry>();
  Entry& e = *made;
  e.kind = IoOp::Kind::poll;
  e.fd = fd;
  e.key = SelectorKey{fd, events, std::move(data)};
  e.callback = std::move(cb);
  e.owner = this;
  e.device = id.device;
  e.inode = id.inode;
  e.serial = next_serial_++;
  entries_[slot] = std::move(made);
  ++count_;
  try {
    arm(e);
  } catch (...) {
    erase(e);
    throw;
  }
  if (e.state == State::stale) {  // the backend found it closed at once
    erase(e);
    throw std::invalid_argument(std::string(what) + ": " + fd_name(fd) + " is not open");
  }
  return e.key;
}

const SelectorKey& Selector::modify(int fd, Events events, std::any data) {
  return change(fd, events, std::move(data), std::nullopt);
}

const SelectorKey& Selector::modify(int fd, Events events) {
  return change(fd, events, std::nullopt, std::nullopt);
}

const SelectorKey& Selector::modify_callback(int fd, Events events, std::shared_ptr<Callback> cb) {
  return change(fd, events, std::any{}, std::move(cb));
}

const SelectorKey& Selector::change(int fd, Events events, std::optional<std::any> data,
                                    std::optional<std::shared_ptr<Callback>> cb) {
  const char* what = "tide::io::Selector::modify";
  Entry& e = find(fd, what);
  check_events(what, fd, events);
  const bool was_callback = e.callback != nullptr;
  const bool to_callback = cb.has_value() ? true : (data.has_value() ? false : was_callback);
  auto update = [&] {
    e.key.events = events;
    if (data) e.key.data = std::move(*data);
    if (cb)
      e.callback = std::move(*cb);
    else if (!to_callback)
      e.callback = nullptr;
  };
  // Cases that need no new operation: the armed one already waits for these events; the
  // readiness reported is still wanted; the key is re-armed later anyway (after its callback,
  // or at the next select()), with whatever events it holds then.
  const bool same_mode = to_callback == was_callback;
  if ((same_mode && e.state == State::armed && events == e.key.events) ||
      (same_mode && e.state == State::pending && has(events_from(e.revents), events)) ||
      e.state == State::running || (same_mode && e.state == State::delivered)) {
    update();
    return e.key;
  }
  withdraw(e);
  update();
  arm(e);
  if (e.state == State::stale) throw_closed_while_registered(what, fd);
  return e.key;
}

SelectorKey Selector::unregister(int fd) {
  const char* what = "tide::io::Selector::unregister";
  thread_.check("tide::io::Selector", this);
  if (closed_) throw UsageError(std::string(what) + ": the selector is closed");
  Entry* e = entry_of(fd);
  if (e == nullptr) throw KeyError(std::string(what) + ": " + fd_name(fd) + " is not registered");
  // A number closed behind tide's back: the backend may still watch the old file under it.
  if (e->state != State::stale && options_.verify_files && !same_file(*e)) mark_stale(*e);
  SelectorKey key = std::move(e->key);
  erase(*e);
  return key;
}

const SelectorKey& Selector::get_key(int fd) const {
  return find(fd, "tide::io::Selector::get_key").key;
}

Selector::KeyMap Selector::get_map() const noexcept {
  return KeyMap(*this);
}

const SelectorKey& Selector::KeyMap::at(int fd) const {
  if (const Entry* e = selector_->entry_of(fd)) return e->key;
  throw KeyError("tide::io::Selector::KeyMap::at: " + fd_name(fd) + " is not registered");
}

Selector::SelectAwaiter Selector::select(std::optional<std::chrono::nanoseconds> timeout) {
  return SelectAwaiter(*this, timeout);
}

// Zero or less: still wait for one pass of the loop, with a deadline that has passed by the
// time the loop next looks at its timers (it polls I/O without blocking first).
Selector::SelectAwaiter::SelectAwaiter(Selector& selector,
                                       std::optional<std::chrono::nanoseconds> timeout) noexcept
    : Awaiter(
          selector.waiters_, nullptr, nullptr, std::nullopt,
          timeout ? std::optional(std::max(*timeout, std::chrono::nanoseconds(1))) : std::nullopt),
      selector_(&selector) {}

// ---- arming and results --------------------------------------------------------------------

// Never frees `e`: a completion at once only queues it or marks it stale.
void Selector::arm(Entry& e) {
  e.state = State::armed;
  e.poll_events = poll_events_for(e.key.events);
  e.on_complete = &completed;  // io_abandon clears it
  e.result = 0;
  if (loop_->io_try_now(e)) {
    on_result(e);
    return;
  }
  try {
    loop_->io_submit(e);
  } catch (...) {
    e.state = State::idle;
    throw;
  }
}

void Selector::completed(IoOp& op) noexcept {
  auto& e = static_cast<Entry&>(op);
  e.owner->on_result(e);
}

void Selector::on_result(Entry& e) noexcept {
  if (closed_) {  // close() is cancelling everything
    e.state = State::idle;
    return;
  }
  const long r = e.result;
  if (r == -EBADF) {
    // Closed: through tide (the FdWatcher call that follows removes the key), or behind its
    // back (poll's POLLNVAL): stale, as when noticed elsewhere. (No refresh_fd here: this
    // runs inside the backend's dispatch.)
    unqueue(e);
    e.state = State::stale;
    return;
  }
  if (r == -ECANCELED) {
    e.state = State::idle;
    return;
  }
  // Another error on the fd: report it ready, so the program's next syscall sees the error.
  e.revents = r < 0 ? static_cast<std::uint32_t>(POLLERR) : static_cast<std::uint32_t>(r);
  e.state = State::pending;
  if (e.callback) {
    queue(e, callbacks_next_);
    // From the driver (before the loop's timer phase): this iteration; from inside a round
    // (a callback left its fd ready, found by the re-arm's try_now): the next one, as asyncio
    // runs a handle once a turn.
    schedule_round(running_round_);
  } else {
    queue(e, ready_);
    hand_over();
  }
}

// The next round runs from the loop's timer phase: this iteration's, or the next one's. Until
// then the loop counts as busy (LoopCore::work_soon_started): a round whose keys were found
// ready by their re-arm's try_now (a listener with more connections queued) then runs in the
// next iteration without a backend wait over every fd, which would make a callback that takes
// one item per call cost O(registered fds) per item on the poll backend; the backend is still
// polled every few iterations, so the other fds are not starved.
void Selector::schedule_round(bool next_iteration) noexcept {
  if (TimerNode::armed()) return;
  deadline = loop_->now();
  if (next_iteration) deadline += std::chrono::nanoseconds(1);
  try {
    loop_->add_timer(*this);
  } catch (...) {
    // Out of memory growing the timer heap: the readiness waits in callbacks_next_ for the
    // next round another fd's readiness starts.
    return;
  }
  round_soon_ = true;
  loop_->work_soon_started();
}

// The round's timer fired or was removed.
void Selector::round_unscheduled() noexcept {
  if (!round_soon_) return;
  round_soon_ = false;
  loop_->work_soon_ended();
}

void Selector::hand_over() noexcept {
  if (reserved_ || ready_.empty() || waiters_.empty()) return;
  reserved_ = true;
  waiters_.wake_one();
}

void Selector::waiter_unclaimed(void* self) noexcept {
  auto& s = *static_cast<Selector*>(self);
  s.reserved_ = false;
  s.hand_over();
}

void Selector::queue(Entry& e, EntryList& list) noexcept {
  unqueue(e);
  list.push_back(e);
  e.list = &list;
}

void Selector::unqueue(Entry& e) noexcept {
  if (e.list == nullptr) return;
  e.list->remove(e);
  e.list = nullptr;
}

void Selector::withdraw(Entry& e) noexcept {
  if (e.in_flight) loop_->io_abandon(e);
  unqueue(e);
  if (e.state != State::stale) e.state = State::idle;
}

void Selector::erase(Entry& e) noexcept {
  withdraw(e);
  const auto slot = static_cast<std::size_t>(e.fd);
  entries_[slot].reset();  // e is gone
  --count_;
}

void Selector::mark_stale(Entry& e) noexcept {
  withdraw(e);
  e.state = State::stale;
  // The backend may watch the old file under this number, or think it does: start afresh.
  loop_->refresh_fd(e.fd);
}

void Selector::fd_forgotten(tide::detail::FdWatcher& watcher, int fd) noexcept {
  auto& self = static_cast<Selector&>(watcher);
  if (Entry* e = self.entry_of(fd)) self.erase(*e);
}

// ---- select() --------------------------------------------------------------------------------

bool Selector::begin_select() {
  bind("tide::io::Selector::select");
  // What the last select() reported is watched again now (level-triggered: an fd the program
  // left ready is reported again, one it drained waits for more).
  while (Entry* e = delivered_.front()) {
    unqueue(*e);
    try {
      arm(*e);
    } catch (...) {
      queue(*e, delivered_);  // tried again by the next select()
      throw;
    }
  }
  return !ready_.empty() && !reserved_ && waiters_.empty();
}

Selector::Ready Selector::end_select(WaitResult how) {
  if (how == WaitResult::woken)
    reserved_ = false;  // this waiter was handed the round
  else if (reserved_)
    return {};  // timed out while another waiter holds the round
  Ready out;
  while (Entry* e = ready_.front()) {
    unqueue(*e);
    if (options_.verify_files && !same_file(*e)) {
      mark_stale(*e);  // its number names another file now: not its event
      continue;
    }
    out.emplace_back(e->key, events_from(e->revents) & e->key.events);
    e->state = State::delivered;
    queue(*e, delivered_);
  }
  return out;
}

// ---- callbacks -----------------------------------------------------------------------------

void Selector::run_callbacks(tide::detail::TimerNode& timer) {
  auto& self = static_cast<Selector&>(timer);
  self.round_unscheduled();  // the loop took the timer off its heap
  // This round is what was ready when it began; what becomes ready during it (a callback that
  // leaves its fd ready) runs in the next.
  while (Entry* e = self.callbacks_next_.front())
    self.queue(*e, self.callbacks_round_);
  self.running_round_ = true;
  while (Entry* e = self.callbacks_round_.front()) {
    self.unqueue(*e);
    if (self.options_.verify_files && !self.same_file(*e)) {
      self.mark_stale(*e);
      continue;
    }
    const Events ready = events_from(e->revents) & e->key.events;
    const std::shared_ptr<Callback> callback = e->callback;  // lives on if it unregisters
    const int fd = e->fd;
    const std::uint64_t serial = e->serial;
    e->state = State::running;
    try {
      (*callback)(ready);
    } catch (...) {
      self.loop_->report_unhandled(std::current_exception(),
                                   "a tide::io::Selector callback for " + fd_name(fd));
    }
    if (self.closed_) break;
    // Unless it unregistered or modified its key (or closed its fd), watch it again.
    Entry* now = self.entry_of(fd);
    if (now == nullptr || now->serial != serial || now->state != State::running) continue;
    try {
      self.arm(*now);
    } catch (...) {
      self.loop_->report_unhandled(std::current_exception(),
                                   "re-arming a tide::io::Selector callback for " + fd_name(fd));
    }
  }
  self.running_round_ = false;
  if (!self.closed_ && !self.callbacks_next_.empty()) self.schedule_round(true);
}

// ---- closing ---------------------------------------------------------------------------------

void Selector::close() noexcept {
  if (closed_) return;
  closed_ = true;  // from here on, completions only mark their entries idle
  if (loop_ != nullptr) {
    // Cancel everything first, then wait for each: on io_uring the first wait sends all the
    // cancellations in one submission.
    for (auto& e : entries_)
      if (e && e->in_flight) loop_->io_cancel(*e);
    for (auto& e : entries_)
      if (e) withdraw(*e);
    if (TimerNode::armed()) loop_->remove_timer(*this);
    round_unscheduled();
    loop_->remove_fd_watcher(*this);
    if (registry_ != nullptr) {
      registry_->selectors.remove(*this);
      registry_ = nullptr;
    }
  }
  entries_.clear();
  count_ = 0;
  reserved_ = false;
  // The waiters resume with an empty list and no longer refer to this selector.
  while (tide::detail::WaitNode* node = waiters_.front()) {
    auto& waiter =
        static_cast<SelectAwaiter&>(static_cast<tide::detail::WaitQueue::Awaiter&>(*node));
    waiter.detach();
    waiters_.wake_one();
  }
}

void Selector::detach_from_loop() noexcept {
  close();
  loop_ = nullptr;
}

}  // namespace tide::io
