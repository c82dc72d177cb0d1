// Loop::Options::dump_on_signal: one dump on stderr per signal, at the loop's next turn, even
// when the loop sleeps and the signal comes from another thread (issue 18).
#include <tide/tide.hpp>

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "inspect_support.hpp"

namespace {

using namespace std::chrono_literals;
using tide::testing::CapturedStderr;
using tide::testing::count_of;

using tide::testing::sleep_an_hour;

TEST(DumpOnSignal, OneDumpPerSignalAtTheNextTurn) {
  tide::Loop loop({.dump_on_signal = SIGUSR1});
  auto sleeper = loop.spawn(sleep_an_hour(), "sleeper");
  CapturedStderr captured;
  loop.run_once(0ms);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 0) << "the handler itself printed";
  loop.run_once(0ms);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 1) << captured.text();
  EXPECT_EQ(count_of(captured.text(), "task #1 'sleeper': waits"), 1) << captured.text();
  loop.run_once(0ms);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 1) << "a second dump without a signal";
  ASSERT_EQ(::raise(SIGUSR1), 0);
  loop.run_once(0ms);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 2) << captured.text();
}

TEST(DumpOnSignal, ASignalFromAnotherThreadWakesASleepingLoop) {
  tide::Loop loop({.dump_on_signal = SIGUSR2});
  auto sleeper = loop.spawn(sleep_an_hour(), "sleeper");
  loop.run_once(0ms);  // the sleeper parks: nothing is due for an hour
  CapturedStderr captured;
  std::thread sender([] { ::kill(::getpid(), SIGUSR2); });
  loop.run_once();  // would sleep for the hour if the signal did not wake it
  sender.join();
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 1) << captured.text();
}

TEST(DumpOnSignal, TwoLoopsShareASignal) {
  tide::Loop first({.dump_on_signal = SIGUSR1});
  {
    tide::Loop second({.dump_on_signal = SIGUSR1});
    CapturedStderr captured;
    ASSERT_EQ(::raise(SIGUSR1), 0);
    first.run_once(0ms);
    second.run_once(0ms);
    EXPECT_EQ(count_of(captured.text(), "tide loop ("), 2) << captured.text();
  }
  // The second loop is gone; the first still listens.
  CapturedStderr captured;
  ASSERT_EQ(::raise(SIGUSR1), 0);
  first.run_once(0ms);
  EXPECT_EQ(count_of(captured.text(), "tide loop ("), 1) << captured.text();
}

TEST(DumpOnSignal, TheSignalsPreviousActionComesBackWithTheLastLoop) {
  struct sigaction before {};
  ::sigaction(SIGUSR1, nullptr, &before);
  { tide::Loop loop({.dump_on_signal = SIGUSR1}); }
  struct sigaction after {};
  ::sigaction(SIGUSR1, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(DumpOnSignal, ASignalThatCannotBeUsedIsRefusedClearly) {
  for (int bad : {SIGKILL, SIGSTOP, SIGPIPE, SIGURG, -1, 100000}) {
    try {
      tide::Loop loop({.dump_on_signal = bad});
      ADD_FAILURE() << "signal " << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("dump_on_signal"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
