// tide::io::Selector: Python's selectors on every backend, from tasks and fibres: readiness
// reported level-triggered with the key's data, the callback form, the edge cases Python
// defines (registering twice, bad fds and events, unknown keys), modify while a select()
// waits, fds closed through tide and behind its back, cancellation and timeouts, several
// waiters, and withdrawing every operation when the selector goes.
#include <tide/io/selector.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <any>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/fd.hpp>

#include "sockets.hpp"
#include "styles.hpp"
#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Events;
using tide::KeyError;
using tide::Selector;
using tide::Task;
using tide::io::Fd;
using tide::testing::run_clean;
using tide::testing::settle;
using tide::testing::stream_pair;

template <class Style>
class SelectorTest : public ::testing::Test {};
using Styles = ::testing::Types<tide::testing::Tasks, tide::testing::Fibres>;
TYPED_TEST_SUITE(SelectorTest, Styles, tide::testing::StyleNames);

void put(const Fd& fd, const std::string& bytes = "x") {
  ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

std::string drain(const Fd& fd) {
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Fills a non-blocking socket's send buffer, so it is no longer writable.
[[maybe_unused]] void fill(const Fd& fd) {
  std::string chunk(65536, 'f');
  while (::write(fd.get(), chunk.data(), chunk.size()) > 0) {
  }
}

// (fd, events) of a select() result, for comparisons.
std::vector<std::pair<int, Events>> fds_of(const Selector::Ready& ready) {
  std::vector<std::pair<int, Events>> out;
  for (const auto& [key, events] : ready)
    out.emplace_back(key.fd, events);
  return out;
}

template <class Style>
auto start_select(Selector& sel, std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
  return Style::start([&sel, timeout] { return sel.select(timeout); });
}

// ---- readiness -----------------------------------------------------------------------------

TYPED_TEST(SelectorTest, ReportsAReadableFdWithTheDataItWasRegisteredWith) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    const tide::SelectorKey& key = sel.register_fd(a.get(), Events::read, std::any(7));
    EXPECT_EQ(key.fd, a.get());
    EXPECT_EQ(key.events, Events::read);
    auto waiter = start_select<TypeParam>(sel);
    co_await settle();
    EXPECT_FALSE(waiter.done()) << "select() returned before anything was ready";
    put(b);
    auto ready = co_await waiter;
    EXPECT_EQ(ready.size(), 1u);
    if (ready.size() != 1) co_return;
    EXPECT_EQ(ready[0].first.fd, a.get());
    EXPECT_EQ(ready[0].second, Events::read);
    EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 7);
  });
}

TYPED_TEST(SelectorTest, ReportsReadinessAgainUntilTheDataIsReadLevelTriggered) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    put(b, "abc");
    for (int round = 0; round < 3; ++round) {
      auto ready = co_await start_select<TypeParam>(sel, 1s);
      EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}))
          << "round " << round;
    }
    EXPECT_EQ(drain(a), "abc");
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty()) << "a drained fd was reported ready";
    put(b, "d");
    auto again = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(again), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
  });
}

TYPED_TEST(SelectorTest, ReportsOnlyTheEventsTheKeyWaitsFor) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    auto [c, d] = stream_pair();
    Selector sel;
    sel.register_fd(a.get(), Events::read | Events::write);
    sel.register_fd(c.get(), Events::read);  // writable, but not asked
    auto ready = co_await start_select<TypeParam>(sel);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::write}}));
    put(b);
    auto both = co_await start_select<TypeParam>(sel);
    EXPECT_EQ(fds_of(both),
              (std::vector<std::pair<int, Events>>{{a.get(), Events::read | Events::write}}));
    (void)d;
  });
}

TYPED_TEST(SelectorTest, AZeroTimeoutReportsWhatIsReadyNowWithoutWaiting) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    auto none = co_await start_select<TypeParam>(sel, 0s);
    EXPECT_TRUE(none.empty());
    put(b);
    auto ready = co_await start_select<TypeParam>(sel, 0s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
    // Reported, not read: still ready, on a zero timeout too (the re-armed poll is answered).
    auto again = co_await start_select<TypeParam>(sel, 0s);
    EXPECT_EQ(fds_of(again), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
  });
}

TYPED_TEST(SelectorTest, AnEmptySelectorWaitsForItsTimeout) {
  run_clean([]() -> Task<void> {
    Selector sel;
    auto& loop = tide::Loop::current();
    auto zero = co_await start_select<TypeParam>(sel, 0s);
    EXPECT_TRUE(zero.empty());
    auto before = loop.now();
    auto timed = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(timed.empty());
    EXPECT_GE(loop.now() - before, 20ms);
  });
}

// ---- Python's errors -----------------------------------------------------------------------

template <class E, class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning \"" << needle << "\"";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TYPED_TEST(SelectorTest, RegisteringAnFdTwiceIsAKeyErrorNamingIt) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    const std::string name = "fd " + std::to_string(a.get());
    expect_error<KeyError>([&] { sel.register_fd(a.get(), Events::write); },
                           name + " is already registered");
    EXPECT_EQ(sel.size(), 1u);
    EXPECT_EQ(sel.get_key(a.get()).events, Events::read);
    co_return;
  });
}

TYPED_TEST(SelectorTest, BadFdsAndEventsAreInvalidArguments) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    expect_error<std::invalid_argument>([&] { sel.register_fd(-1, Events::read); },
                                        "fd -1 is negative");
    int closed = ::dup(a.get());
    ::close(closed);
    expect_error<std::invalid_argument>([&] { sel.register_fd(closed, Events::read); },
                                        "fd " + std::to_string(closed) + " is not open");
    expect_error<std::invalid_argument>([&] { sel.register_fd(a.get(), Events{}); },
                                        "invalid events none");
    expect_error<std::invalid_argument>([&] { sel.register_fd(a.get(), static_cast<Events>(4)); },
                                        "invalid events 0x4");
    std::FILE* file = std::tmpfile();
    expect_error<std::invalid_argument>([&] { sel.register_fd(::fileno(file), Events::read); },
                                        "regular file");
    std::fclose(file);
    EXPECT_EQ(sel.size(), 0u);
    sel.register_fd(a.get(), Events::read);
    expect_error<std::invalid_argument>([&] { sel.modify(a.get(), Events{}); },
                                        "invalid events none");
    EXPECT_EQ(sel.get_key(a.get()).events, Events::read);
    co_return;
  });
}

TYPED_TEST(SelectorTest, UnknownFdsAreKeyErrorsForModifyUnregisterAndGetKey) {
  run_clean([]() -> Task<void> {
    auto [a, b] = stream_pair();
    Selector sel;
    const std::string name = "fd " + std::to_string(a.get()) + " is not registered";
    expect_error<KeyError>([&] { sel.modify(a.get(), Events::read); }, name);
    expect_error<KeyError>([&] { (void)sel.unregister(a.get()); }, name);
    expect_error<KeyError>([&] { (void)sel.get_key(a.get()); }, name);
    expect_error<KeyError>([&] { (void)sel.get_map().at(a.get()); }, name);
    sel.register_fd(a.get(), Events::read, std::any(std::string("conn")));
    auto key = sel.unregister(a.get());
    EXPECT_EQ(std::any_cast<std::string>(key.data), "conn");
    expect_error<KeyError>([&] { (void)sel.unregister(a.get()); }, name);
    co_return;
  });
}

}  // namespace
