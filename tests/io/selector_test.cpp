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
#include <cstdint>
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
#include <tide/sync/event.hpp>

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

// Runs `n` loop iterations that each ask the backend for readiness (a 1 us timer makes the
// loop wait for I/O until it is due), so readiness has been reported and the callbacks it
// makes due have run: a count of iterations, not a time that "should be long enough" (under
// valgrind 20 ms was not).
Task<void> loop_turns(int n) {
  for (int turn = 0; turn < n; ++turn)
    co_await tide::sleep_for(1us);
}
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
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

// A read|write key whose fd became writable while not readable: still reported each round
// while it stays writable (on epoll, whose edges come once, the re-armed poll must look).
TYPED_TEST(SelectorTest, AReadWriteKeyIsReportedEveryRoundWhileOnlyWritable) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    fill(a);
    sel.register_fd(a.get(), Events::read | Events::write);
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty());
    drain(b);
    for (int round = 0; round < 3; ++round) {
      auto ready = co_await start_select<TypeParam>(sel, 1s);
      EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::write}}))
          << "round " << round;
    }
  });
}

TYPED_TEST(SelectorTest, AZeroTimeoutReportsWhatIsReadyNowWithoutWaiting) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
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
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
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

// ---- the callback form ---------------------------------------------------------------------

TYPED_TEST(SelectorTest, ACallbackRunsEachTimeItsFdIsReadyAndIsNotReturnedBySelect) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    Selector sel;
    std::vector<Events> calls;
    sel.register_fd(a.get(), Events::read, [&](Events ready) {
      calls.push_back(ready);
      if (calls.size() >= 3) drain(a);  // level-triggered: it runs until the data is read
    });
    sel.register_fd(c.get(), Events::read);
    co_await settle();
    EXPECT_TRUE(calls.empty());
    put(b);
    put(d);
    auto ready = co_await start_select<TypeParam>(sel);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{c.get(), Events::read}}));
    drain(c);
    co_await loop_turns(20);
    EXPECT_EQ(calls, (std::vector<Events>(3, Events::read)));
    put(b);
    co_await loop_turns(20);
    EXPECT_EQ(calls.size(), 4u);
  });
}

TYPED_TEST(SelectorTest, ACallbackThatUnregistersItselfRunsNoMore) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    int calls = 0;
    sel.register_fd(a.get(), Events::read, [&](Events) {
      ++calls;
      auto key = sel.unregister(a.get());  // leaves the data unread
      EXPECT_EQ(key.fd, a.get());
    });
    put(b);
    co_await loop_turns(20);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(sel.size(), 0u);
  });
}

// A callback that takes one item per call from an fd that stays ready (accept on a listener
// with a backlog, asyncio add_reader style) runs once per loop iteration, and on the readiness
// backends (epoll, poll: the re-arm's try_now finds the fd still ready) those rounds cost no
// backend wait each: the loop polls the backend only every few iterations, as while tasks are
// ready. A wait per round was quadratic on poll, whose every wait walks every registered fd
// (here 64 idle ones). Another fd that becomes ready meanwhile is still found and run within
// the loop's poll interval (32 iterations), long before the busy key is done. On io_uring the
// re-arm is a poll SQE, each round a trip to the kernel that costs O(ready): no bound there.
TEST(SelectorRounds, ACallbackKeyStillReadyRunsAgainWithoutABackendWaitPerRound) {
  run_clean([]() -> Task<void> {
    constexpr int rounds = 256;
    constexpr int other_written_at = 16;
    Selector sel;
    std::vector<std::pair<Fd, Fd>> idle;
    for (int i = 0; i < 64; ++i) {
      idle.push_back(stream_pair());
      sel.register_fd(idle.back().first.get(), Events::read,
                      [](Events) { ADD_FAILURE() << "an idle fd's callback ran"; });
    }
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    int calls = 0;
    int calls_when_other_ran = -1;
    tide::Event done;
    sel.register_fd(c.get(), Events::read, [&](Events) {
      calls_when_other_ran = calls;
      drain(c);
    });
    co_await settle();
    tide::Loop& loop = tide::Loop::current();
    const tide::Loop::Stats before = loop.stats();
    sel.register_fd(a.get(), Events::read, [&](Events ready) {
      EXPECT_EQ(ready, Events::read);
      char byte = 0;
      EXPECT_EQ(::read(a.get(), &byte, 1), 1);  // one item per call: the fd stays ready
      if (++calls == other_written_at) put(d);
      if (calls == rounds) done.set();
    });
    put(b, std::string(rounds, 'x'));
    co_await done.wait();
    const tide::Loop::Stats after = loop.stats();
    EXPECT_EQ(calls, rounds);
    EXPECT_GE(after.iterations - before.iterations, static_cast<std::uint64_t>(rounds))
        << "more than one call of a ready key in one round";
    EXPECT_GE(calls_when_other_ran, other_written_at);
    EXPECT_LE(calls_when_other_ran, other_written_at + 34)
        << "an fd found ready by the backend waited behind a busy callback key";
    const std::uint64_t waits = after.io_waits - before.io_waits;
    if (loop.backend_name() != "io_uring") {
      EXPECT_LE(waits, static_cast<std::uint64_t>(rounds / 8))
          << "a backend wait per round of a callback key found ready again by its re-arm";
    }
    sel.close();
  });
}

// Two fds ready in the same round: whichever callback runs first unregisters the other, which
// must then not run; and one that modifies the other to write-only makes it run for write.
TYPED_TEST(SelectorTest, ACallbackThatUnregistersAnotherReadyFdStopsItsCallback) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    Selector sel;
    std::vector<int> ran;
    auto other_of = [&](int fd) { return fd == a.get() ? c.get() : a.get(); };
    for (int fd : {a.get(), c.get()})
      sel.register_fd(fd, Events::read, [&, fd](Events) {
        ran.push_back(fd);
        sel.unregister(other_of(fd));
        sel.unregister(fd);
      });
    put(b);
    put(d);
    co_await loop_turns(20);
    EXPECT_EQ(ran.size(), 1u) << "an unregistered key's callback ran in the same round";
    EXPECT_EQ(sel.size(), 0u);
  });
}

TYPED_TEST(SelectorTest, ACallbackThatModifiesAnotherReadyFdRunsItForItsNewEvents) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    Selector sel;
    std::vector<std::pair<int, Events>> ran;
    auto other_of = [&](int fd) { return fd == a.get() ? c.get() : a.get(); };
    for (int fd : {a.get(), c.get()})
      sel.register_fd(fd, Events::read, [&, fd](Events ready) {
        ran.emplace_back(fd, ready);
        if (ran.size() == 1) {
          sel.modify(other_of(fd), Events::write);
        } else {
          sel.unregister(a.get());
          sel.unregister(c.get());
        }
      });
    put(b);
    put(d);
    co_await loop_turns(20);
    EXPECT_EQ(ran.size(), 2u);
    if (ran.size() == 2) {
      EXPECT_EQ(ran[1].first, other_of(ran[0].first));
      EXPECT_EQ(ran[1].second, Events::write) << "it ran for the readiness of its old key";
    }
  });
}

TYPED_TEST(SelectorTest, AnExceptionFromACallbackIsReportedAndTheKeyStays) {
  std::vector<std::string> reported;
  tide::Loop::Options options;
  options.on_unhandled_exception = [&](std::exception_ptr e, std::string_view what) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reported.push_back(std::string(what) + ": " + ex.what());
    }
  };
  run_clean(
      [&]() -> Task<void> {
        auto ends_ab = stream_pair();
        Fd& a = ends_ab.first;
        Fd& b = ends_ab.second;
        Selector sel;
        int calls = 0;
        sel.register_fd(a.get(), Events::read, [&](Events) {
          if (++calls == 2) drain(a);
          throw std::runtime_error("boom");
        });
        put(b);
        co_await loop_turns(20);
        EXPECT_EQ(calls, 2);
        EXPECT_EQ(sel.size(), 1u);
      },
      std::move(options));
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_NE(reported[0].find("callback for fd"), std::string::npos) << reported[0];
  EXPECT_NE(reported[0].find("boom"), std::string::npos) << reported[0];
}

// ---- modify ----------------------------------------------------------------------------------

TYPED_TEST(SelectorTest, ModifyFromReadToWriteWakesASelectThatWaits) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read, std::any(1));
    auto waiter = start_select<TypeParam>(sel);
    co_await settle();
    EXPECT_FALSE(waiter.done());
    sel.modify(a.get(), Events::write, std::any(2));
    auto ready = co_await waiter;
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::write}}));
    if (ready.size() == 1) {
      EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 2);
    }
    (void)b;
  });
}

TYPED_TEST(SelectorTest, ModifyDropsReadinessTheNewEventsDoNotWant) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    fill(a);  // not writable any more
    put(b);
    co_await settle();  // the readable report arrives
    sel.modify(a.get(), Events::write);
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty()) << "reported " << (none.empty() ? Events{} : none[0].second);
    drain(b);  // room again
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::write}}));
  });
}

TYPED_TEST(SelectorTest, ModifyWithoutDataKeepsItAndWithDataReplacesIt) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read, std::any(std::string("first")));
    EXPECT_EQ(std::any_cast<std::string>(sel.modify(a.get(), Events::write).data), "first");
    EXPECT_EQ(std::any_cast<int>(sel.modify(a.get(), Events::read, std::any(3)).data), 3);
    EXPECT_FALSE(sel.modify(a.get(), Events::read, std::any{}).data.has_value());
    EXPECT_EQ(sel.get_key(a.get()).events, Events::read);
    (void)b;
    co_return;
  });
}

// ---- fds closed while registered -------------------------------------------------------------

// Closed through tide while its readiness waits, unreported, for a select(): the key goes, the
// number can be registered again, and nothing is reported for the old file.
TYPED_TEST(SelectorTest, AnFdClosedThroughTideLosesItsKeyAndNeverReportsAgain) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    const int number = a.get();
    sel.register_fd(number, Events::read, std::any(1));
    put(b);
    co_await loop_turns(2);  // the loop polled: reported ready, not yet taken
    a.close();
    EXPECT_EQ(sel.size(), 0u);
    EXPECT_FALSE(sel.get_map().contains(number));
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty()) << "the closed fd was reported";
    // The number again, for a new socket: a registration of its own, its own events only.
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    EXPECT_EQ(c.get(), number);
    sel.register_fd(c.get(), Events::read, std::any(2));
    auto still = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(still.empty());
    put(d);
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{number, Events::read}}));
    if (ready.size() == 1) {
      EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 2);
    }
  });
}

// Closed after select() reported it, before the next select() re-arms it.
TYPED_TEST(SelectorTest, AnFdClosedThroughTideAfterSelectReportedItLosesItsKey) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    const int number = a.get();
    sel.register_fd(number, Events::read);
    put(b);
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(ready.size(), 1u);
    a.close();
    EXPECT_EQ(sel.size(), 0u);
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;  // the number again, not registered
    EXPECT_EQ(c.get(), number);
    put(d);
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty()) << "the new file's readiness was reported under the old key";
  });
}

TYPED_TEST(SelectorTest, AnArmedFdClosedThroughTideLosesItsKey) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    auto waiter = start_select<TypeParam>(sel, 50ms);
    co_await settle();
    a.close();
    b.close();  // would make a readable (EOF) were it still watched
    EXPECT_EQ(sel.size(), 0u);
    auto ready = co_await waiter;
    EXPECT_TRUE(ready.empty());
  });
}

// Closed with ::close behind tide's back, the number reused by a new pipe: registering it is a
// KeyError that says what happened; the old file's readiness is never reported under it; once
// unregistered, the new file registers and reports its own events (on epoll this needs the
// backend to watch the number afresh).
TYPED_TEST(SelectorTest, AnFdClosedBehindTidesBackIsNamedWhenItsNumberIsRegisteredAgain) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    const int number = a.get();
    sel.register_fd(number, Events::read, std::any(1));
    co_await settle();  // the poll is armed in the backend
    // The old file lives on in a dup (so its readiness can still come, and an epoll
    // registration survives the close), under another number.
    Fd old_file(::dup(number));
    ::close(a.release());
    int p[2];
    tide::testing::check(::pipe2(p, O_NONBLOCK | O_CLOEXEC), "pipe2");
    Fd new_read(p[0]), new_write(p[1]);
    EXPECT_EQ(new_read.get(), number);
    put(b);          // the old file's peer: its readiness must not show under the number
    put(new_write);  // the new file is ready too, but not registered: not reported either
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty()) << "a stale event was reported for fd " << number;
    const std::string closed = "fd " + std::to_string(number) + " was closed while registered";
    expect_error<KeyError>([&] { sel.register_fd(number, Events::read); }, closed);
    expect_error<KeyError>([&] { (void)sel.get_key(number); }, closed);
    expect_error<KeyError>([&] { sel.modify(number, Events::write); }, closed);
    EXPECT_EQ(std::any_cast<int>(sel.unregister(number).data), 1);
    sel.register_fd(number, Events::read, std::any(2));
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{number, Events::read}}));
    if (ready.size() == 1) {
      EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 2);
    }
    EXPECT_EQ(drain(new_read), "x");
    new_write.close();
    auto eof = co_await start_select<TypeParam>(sel, 1s);  // the new file's hang-up
    EXPECT_EQ(fds_of(eof), (std::vector<std::pair<int, Events>>{{number, Events::read}}));
    sel.unregister(number);
  });
}

// Closed behind tide's back and not reused: nothing is reported (poll's POLLNVAL included),
// the key stays until unregistered, and naming it says what happened.
TYPED_TEST(SelectorTest, AnFdClosedBehindTidesBackAndNotReusedIsNamedAsClosed) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    const int number = a.get();
    sel.register_fd(number, Events::read, std::any(1));
    co_await settle();
    ::close(a.release());
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(sel.size(), 1u);
    const std::string closed = "fd " + std::to_string(number) + " was closed while registered";
    expect_error<KeyError>([&] { (void)sel.get_key(number); }, closed);
    expect_error<std::invalid_argument>([&] { sel.register_fd(number, Events::read); },
                                        "fd " + std::to_string(number) + " is not open");
    EXPECT_EQ(std::any_cast<int>(sel.unregister(number).data), 1);
    EXPECT_EQ(sel.size(), 0u);
    (void)b;
  });
}

// The same without a new registration: unregistering the old key is enough for the new file
// to be watched properly.
TYPED_TEST(SelectorTest, UnregisteringAnFdClosedBehindTidesBackLetsTheNewFileBeWatched) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    const int number = a.get();
    sel.register_fd(number, Events::read);
    co_await settle();
    ::close(a.release());
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    EXPECT_EQ(c.get(), number);
    sel.unregister(number);
    sel.register_fd(number, Events::read);
    auto none = co_await start_select<TypeParam>(sel, 20ms);
    EXPECT_TRUE(none.empty());
    put(d);
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{number, Events::read}}));
    (void)b;
  });
}

// ---- waiting: cancellation, timeouts, several waiters ----------------------------------------

TYPED_TEST(SelectorTest, ACancelledSelectTakesNothingAndTheNextOneGetsTheReadiness) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    auto waiter = start_select<TypeParam>(sel);
    co_await settle();
    TypeParam::stop(waiter);
    bool cancelled = false;
    try {
      (void)co_await waiter;
    } catch (const tide::Cancelled&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    put(b);
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
  });
}

TYPED_TEST(SelectorTest, TideTimeoutEndsASelectWithTimeoutError) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    auto waiter = TypeParam::start([&sel] { return tide::timeout(10ms, sel.select()); });
    bool timed_out = false;
    try {
      (void)co_await waiter;
    } catch (const tide::TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    put(b);
    auto ready = co_await start_select<TypeParam>(sel, 1s);
    EXPECT_EQ(ready.size(), 1u);
  });
}

// Each round goes to the longest waiting select(); the others wait for the next round.
TYPED_TEST(SelectorTest, SeveralWaitersTakeRoundsInTheOrderTheyStartedWaiting) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto ends_cd = stream_pair();
    Fd& c = ends_cd.first;
    Fd& d = ends_cd.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    sel.register_fd(c.get(), Events::read);
    auto first = start_select<TypeParam>(sel);
    co_await settle();
    auto second = start_select<TypeParam>(sel);
    co_await settle();
    put(b);
    auto one = co_await first;
    EXPECT_EQ(fds_of(one), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
    co_await settle();
    EXPECT_FALSE(second.done()) << "the second waiter got the first round too";
    drain(a);
    put(d);
    auto two = co_await second;
    EXPECT_EQ(fds_of(two), (std::vector<std::pair<int, Events>>{{c.get(), Events::read}}));
  });
}

// An empty selector's select() without a timeout waits until a key is registered and ready.
TYPED_TEST(SelectorTest, AnEmptySelectorWaitsUntilAnFdIsRegisteredAndReady) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    auto waiter = start_select<TypeParam>(sel);
    co_await tide::sleep_for(10ms);
    EXPECT_FALSE(waiter.done());
    put(b);
    sel.register_fd(a.get(), Events::read);
    auto ready = co_await waiter;
    EXPECT_EQ(fds_of(ready), (std::vector<std::pair<int, Events>>{{a.get(), Events::read}}));
  });
}

// ---- closing and destruction -----------------------------------------------------------------

TYPED_TEST(SelectorTest, CloseWakesWaitersWithNothingAndLaterCallsAreUsageErrors) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(a.get(), Events::read);
    auto waiter = start_select<TypeParam>(sel);
    co_await settle();
    sel.close();
    auto rest = co_await waiter;
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(sel.size(), 0u);
    EXPECT_THROW(sel.register_fd(a.get(), Events::read), tide::UsageError);
    bool refused = false;
    try {
      (void)co_await sel.select(0s);
    } catch (const tide::UsageError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    sel.close();  // idempotent
    (void)b;
  });
}

// Destroyed with 200 operations armed (and readiness pending on some): every one is withdrawn
// (run_clean checks that no I/O is left pending; ASan, that nothing points at freed memory).
TYPED_TEST(SelectorTest, DestroyingASelectorWithdrawsEveryOperationItArmed) {
  run_clean([]() -> Task<void> {
    std::vector<std::pair<Fd, Fd>> pairs;
    for (int i = 0; i < 100; ++i)
      pairs.push_back(stream_pair());
    std::optional<tide::Selector::Ready> result;
    {
      Selector sel;
      for (auto& [x, y] : pairs) {
        sel.register_fd(x.get(), Events::read);
        sel.register_fd(y.get(), Events::read, [](Events) {});
      }
      for (int i = 0; i < 100; i += 10)
        put(pairs[static_cast<std::size_t>(i)].second);
      co_await settle();
    }
    co_await settle();
    for (auto& [x, y] : pairs)  // written now, to a file nothing watches any more
      put(y);
    co_await settle();
  });
}

TYPED_TEST(SelectorTest, DestroyingASelectorWhileASelectWaitsResumesItWithNothing) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    auto sel = std::make_unique<Selector>();
    sel->register_fd(a.get(), Events::read);
    auto waiter = start_select<TypeParam>(*sel);
    co_await settle();
    sel.reset();
    auto rest = co_await waiter;
    EXPECT_TRUE(rest.empty());
    put(b);
    co_await settle();
  });
}

// A selector that outlives its loop: the loop withdraws its operations before its backend
// goes; the selector is closed from then on.
TEST(Selector, ASelectorThatOutlivesItsLoopIsWithdrawnAndClosed) {
  auto ends_ab = stream_pair();
  Fd& a = ends_ab.first;
  Selector sel;
  {
    tide::Loop loop;
    loop.run_until_complete([](Selector& s, int fd) -> Task<void> {
      s.register_fd(fd, Events::read);
      s.register_fd(::dup(fd), Events::write, [](Events) {});
      co_await tide::sleep_for(1ms);
    }(sel, a.get()));
  }
  EXPECT_TRUE(sel.closed());
  EXPECT_EQ(sel.size(), 0u);
  EXPECT_THROW(sel.register_fd(a.get(), Events::read), tide::UsageError);
}

TYPED_TEST(SelectorTest, GetMapListsTheKeysInFdOrder) {
  run_clean([]() -> Task<void> {
    auto ends_ab = stream_pair();
    Fd& a = ends_ab.first;
    Fd& b = ends_ab.second;
    Selector sel;
    sel.register_fd(b.get(), Events::write, std::any(2));
    sel.register_fd(a.get(), Events::read, std::any(1));
    auto map = sel.get_map();
    EXPECT_EQ(map.size(), 2u);
    std::vector<int> fds;
    for (const tide::SelectorKey& key : map)
      fds.push_back(key.fd);
    EXPECT_EQ(fds, (std::vector<int>{std::min(a.get(), b.get()), std::max(a.get(), b.get())}));
    EXPECT_EQ(std::any_cast<int>(map.at(b.get()).data), 2);
    sel.unregister(b.get());
    EXPECT_FALSE(map.contains(b.get()));
    EXPECT_EQ(map.size(), 1u);
    co_return;
  });
}

}  // namespace
