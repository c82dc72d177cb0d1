// Greenlet: the raw switch primitive, without a loop (the seed's greenlet example and more).
#include <tide/core/greenlet.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tide/core/errors.hpp>

#include "process_memory.hpp"
#include "recursion.hpp"
#include "sanitizers.hpp"

namespace {

using tide::Greenlet;

using tide::testing::mapping_count;
using tide::testing::resident_pages;
using tide::testing::sanitized;

// The seed's gr1/gr2 example: prints 12, 56, 34, 78.
TEST(Greenlet, SeedExampleSwitchesInTheExactOrder) {
  std::vector<int> printed;
  Greenlet* gr2 = nullptr;
  Greenlet gr1([&](std::any) -> std::any {
    printed.push_back(12);
    gr2->switch_to();
    printed.push_back(34);
    gr2->switch_to();
    return {};
  });
  Greenlet g2([&](std::any) -> std::any {
    printed.push_back(56);
    gr1.switch_to();
    printed.push_back(78);
    return {};
  });
  gr2 = &g2;
  gr1.switch_to();
  EXPECT_EQ(printed, (std::vector<int>{12, 56, 34, 78}));
  EXPECT_TRUE(g2.dead());
  EXPECT_FALSE(gr1.dead());  // it switched to gr2 last and was never resumed
}

TEST(Greenlet, ValuesPassBothWaysAndTheReturnValueGoesToTheParent) {
  Greenlet doubler([](std::any first) -> std::any {
    int x = std::any_cast<int>(first);
    for (int i = 0; i < 3; ++i)
      x = std::any_cast<int>(Greenlet::current().parent()->switch_to(x * 2));
    return std::string("done at ") + std::to_string(x);
  });
  EXPECT_EQ(std::any_cast<int>(doubler.switch_to(1)), 2);
  EXPECT_EQ(std::any_cast<int>(doubler.switch_to(5)), 10);
  EXPECT_EQ(std::any_cast<int>(doubler.switch_to(7)), 14);
  EXPECT_EQ(std::any_cast<std::string>(doubler.switch_to(9)), "done at 9");
  EXPECT_TRUE(doubler.dead());
  EXPECT_THROW(doubler.switch_to(), tide::UsageError);
}

TEST(Greenlet, AnExceptionEscapingGoesToTheParent) {
  Greenlet g([](std::any) -> std::any { throw std::runtime_error("boom"); });
  EXPECT_THROW(g.switch_to(), std::runtime_error);
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, ThrowInRaisesAtTheSuspensionPointAndCanBeCaught) {
  std::string seen;
  Greenlet g([&](std::any) -> std::any {
    try {
      Greenlet::current().parent()->switch_to();
    } catch (const std::logic_error& e) {
      seen = e.what();
    }
    return 42;
  });
  g.switch_to();
  EXPECT_EQ(std::any_cast<int>(g.throw_in(std::make_exception_ptr(std::logic_error("in")))), 42);
  EXPECT_EQ(seen, "in");
}

TEST(Greenlet, ThrowInAnUnstartedGreenletKillsItAndReachesTheParent) {
  bool ran = false;
  Greenlet g([&](std::any) -> std::any {
    ran = true;
    return {};
  });
  EXPECT_THROW(g.throw_in(std::make_exception_ptr(std::logic_error("x"))), std::logic_error);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(g.dead());
}

struct Counted {
  explicit Counted(int& n) : n_(n) { ++n_; }
  ~Counted() { --n_; }
  int& n_;
};

TEST(Greenlet, DestroyingASuspendedGreenletUnwindsItsStack) {
  int live = 0;
  {
    Greenlet g([&](std::any) -> std::any {
      Counted c(live);
      Greenlet::current().parent()->switch_to();
      ADD_FAILURE() << "resumed after destruction";
      return {};
    });
    g.switch_to();
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);
}

TEST(Greenlet, NestedGreenletsAndDeepRecursionOnTheirStacks) {
  std::function<int(int)> depth = [&](int n) { return n == 0 ? 0 : 1 + depth(n - 1); };
  Greenlet outer([&](std::any) -> std::any {
    // ASan's redzones (and its -O0 build) make each frame several times larger.
    const std::size_t stack = Greenlet::default_stack_size * (sanitized ? 4 : 1);
    Greenlet inner([&](std::any) -> std::any { return depth(1000); }, nullptr, stack);
    return std::any_cast<int>(inner.switch_to()) + 1;
  });
  EXPECT_EQ(std::any_cast<int>(outer.switch_to()), 1001);
}

TEST(Greenlet, ACatchBlockSuspendedAcrossASwitchKeepsItsOwnException) {
  Greenlet g([](std::any) -> std::any {
    try {
      throw std::runtime_error("greenlet's own");
    } catch (...) {
      Greenlet::current().parent()->switch_to();  // main throws and catches meanwhile
      throw;                                      // must rethrow this greenlet's exception
    }
  });
  g.switch_to();
  try {
    throw std::logic_error("main's");
  } catch (const std::logic_error&) {
    try {
      g.switch_to();
      ADD_FAILURE() << "the greenlet's exception did not reach its parent";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "greenlet's own");
    }
    EXPECT_EQ(std::uncaught_exceptions(), 0);
  }
}

TEST(Greenlet, TakesPlainCallablesAndExceptionObjects) {
  std::vector<int> printed;
  Greenlet* gr2 = nullptr;
  Greenlet gr1([&] {  // no value in, none out: the seed's shape
    printed.push_back(12);
    gr2->switch_to();
    printed.push_back(34);
  });
  Greenlet g2([&](std::any) { printed.push_back(56); });
  gr2 = &g2;
  gr1.switch_to();
  EXPECT_EQ(printed, (std::vector<int>{12, 56}));  // g2 ended: back to main, its parent
  Greenlet doubler([](std::any v) { return std::any_cast<int>(v) * 2; });
  EXPECT_EQ(std::any_cast<int>(doubler.switch_to(21)), 42);
  Greenlet waiting([] {
    try {
      Greenlet::current().parent()->switch_to();
    } catch (const std::out_of_range& e) {
      return std::string(e.what());
    }
    return std::string("not thrown");
  });
  waiting.switch_to();
  EXPECT_EQ(std::any_cast<std::string>(waiting.throw_in(std::out_of_range("stop"))), "stop");
}

// The same example with the bare switch, which passes nothing either way.
TEST(Greenlet, SeedExampleRunsOnBareSwitches) {
  std::vector<int> printed;
  Greenlet* gr2 = nullptr;
  Greenlet gr1([&] {
    printed.push_back(12);
    gr2->switch_to<void>();
    printed.push_back(34);
    gr2->switch_to<void>();
  });
  Greenlet g2([&] {
    printed.push_back(56);
    gr1.switch_to<void>();
    printed.push_back(78);
  });
  gr2 = &g2;
  gr1.switch_to<void>();
  EXPECT_EQ(printed, (std::vector<int>{12, 56, 34, 78}));
  EXPECT_TRUE(g2.dead());
  EXPECT_FALSE(gr1.dead());
  EXPECT_THROW(g2.switch_to<void>(), tide::UsageError);
}

TEST(Greenlet, TypedSwitchesPassValuesBothWays) {
  Greenlet doubler([](std::any first) {
    int x = std::any_cast<int>(first);
    while (x >= 0)
      x = Greenlet::current().parent()->switch_to<int>(x * 2);
  });
  EXPECT_EQ(doubler.switch_to<int>(1), 2);
  EXPECT_EQ(doubler.switch_to<int>(5), 10);
  EXPECT_EQ(doubler.switch_to<int>(21), 42);
  doubler.switch_to<void>(-1);
  EXPECT_TRUE(doubler.dead());
}

// Counts copies and live objects, to show what a typed switch does with its value.
struct Tracked {
  static inline int copies = 0;
  static inline int live = 0;
  int payload;
  explicit Tracked(int p) : payload(p) { ++live; }
  Tracked(const Tracked& other) : payload(other.payload) {
    ++copies;
    ++live;
  }
  Tracked(Tracked&& other) noexcept : payload(std::exchange(other.payload, -1)) { ++live; }
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&& other) noexcept {
    payload = std::exchange(other.payload, -1);
    return *this;
  }
  ~Tracked() { --live; }
};

TEST(Greenlet, ATypedSwitchMovesItsValueAndNeverCopiesIt) {
  Tracked::copies = Tracked::live = 0;
  {
    Greenlet echo([] {
      Tracked t = Greenlet::current().parent()->switch_to<Tracked>();
      for (;;)
        t = Greenlet::current().parent()->switch_to<Tracked>(std::move(t));
    });
    echo.switch_to<void>();
    Tracked back = echo.switch_to<Tracked>(Tracked(7));
    EXPECT_EQ(back.payload, 7);
    back = echo.switch_to<Tracked>(std::move(back));
    EXPECT_EQ(back.payload, 7);
    auto moved_only = [](std::unique_ptr<int> p) { return p; };  // move-only values pass too
    Greenlet boxes([&] {
      auto p = Greenlet::current().parent()->switch_to<std::unique_ptr<int>>();
      Greenlet::current().parent()->switch_to<void>(moved_only(std::move(p)));
    });
    boxes.switch_to<void>();
    EXPECT_EQ(*boxes.switch_to<std::unique_ptr<int>>(std::make_unique<int>(5)), 5);
  }
  EXPECT_EQ(Tracked::copies, 0);
  EXPECT_EQ(Tracked::live, 0);  // what the bare switch of the unwinding dropped died too
}

TEST(Greenlet, TypedAndAnySwitchesMix) {
  Greenlet g([](std::any first) -> std::any {
    EXPECT_EQ(std::any_cast<long>(first), 1L);  // a typed first switch: fn gets a std::any
    std::any v = Greenlet::current().parent()->switch_to<std::any>(2L);
    EXPECT_EQ(std::any_cast<std::string>(v), "three");  // typed in, std::any out
    long w = Greenlet::current().parent()->switch_to<long>(std::any(4L));
    EXPECT_EQ(w, 5L);  // std::any in, typed out
    return std::string("six");
  });
  EXPECT_EQ(g.switch_to<long>(1L), 2L);
  EXPECT_EQ(std::any_cast<long>(g.switch_to<std::any>(std::string("three"))), 4L);
  EXPECT_EQ(g.switch_to<std::string>(std::any(5L)), "six");  // fn's return, typed
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, ATypedSwitchThatGetsAnotherTypeThrowsUsageErrorNamingBoth) {
  Greenlet g([] {
    for (;;)
      Greenlet::current().parent()->switch_to<void>(42L);
  });
  try {
    (void)g.switch_to<int>();
    ADD_FAILURE() << "no UsageError";
  } catch (const tide::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("switch_to<int>"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a long"), std::string::npos) << e.what();
  }
  EXPECT_EQ(g.switch_to<long>(), 42L);  // the greenlet and the switch still work
  Greenlet nothing([] { Greenlet::current().parent()->switch_to<void>(); });
  try {
    (void)nothing.switch_to<int>();
    ADD_FAILURE() << "no UsageError";
  } catch (const tide::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no value"), std::string::npos) << e.what();
  }
}

TEST(Greenlet, ABareSwitchDropsValuesButNotExceptions) {
  std::vector<std::string> seen;
  Greenlet g([&] {
    Greenlet::current().parent()->switch_to<void>();  // main sends 7: dropped
    std::any next = Greenlet::current().parent()->switch_to();
    seen.push_back(next.has_value() ? "stale value" : "empty");
    try {
      Greenlet::current().parent()->switch_to<void>();
    } catch (const std::logic_error& e) {
      seen.push_back(e.what());
    }
    Greenlet::current().parent()->switch_to<void>();
    throw std::runtime_error("from the child");
  });
  g.switch_to<void>();
  g.switch_to(7);
  g.switch_to<void>();
  g.throw_in(std::logic_error("thrown in"));
  EXPECT_EQ(seen, (std::vector<std::string>{"empty", "thrown in"}));
  EXPECT_THROW(g.switch_to<void>(), std::runtime_error);
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, ATypedSwitchToItselfReturnsItsValue) {
  EXPECT_EQ(Greenlet::current().switch_to<int>(5), 5);
  Greenlet::current().switch_to<void>(5);
  EXPECT_THROW(Greenlet::current().throw_in(std::logic_error("self")), std::logic_error);
  EXPECT_FALSE(Greenlet::current().switch_to().has_value());  // nothing left behind
}

TEST(Greenlet, DestroyingAGreenletSuspendedInABareSwitchUnwindsItsStack) {
  int live = 0;
  {
    Greenlet g([&] {
      Counted c(live);
      Greenlet::current().parent()->switch_to<void>();
      ADD_FAILURE() << "resumed after destruction";
    });
    g.switch_to<void>();
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);
}

TEST(Greenlet, TenThousandCreateSwitchDestroyCycles) {
  long sum = 0;
  for (int i = 0; i < 10'000; ++i) {
    Greenlet g([](std::any v) -> std::any { return std::any_cast<int>(v) + 1; });
    sum += std::any_cast<int>(g.switch_to(i));
  }
  EXPECT_EQ(sum, 10'000L * 9'999 / 2 + 10'000);
}

// Stacks go back to the pool or the kernel: repeated create/destroy cycles neither add
// mappings nor grow the resident set.
TEST(Greenlet, CreateDestroyCyclesLeaveMappingsAndMemoryAtBaseline) {
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime maps memory of its own";
  auto cycle = [](int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<std::unique_ptr<Greenlet>> batch;
      for (int j = 0; j < 100; ++j) {
        batch.push_back(std::make_unique<Greenlet>([](std::any) -> std::any {
          volatile char touch[8192];
          touch[0] = 1;
          Greenlet::current().parent()->switch_to();
          return touch[0];
        }));
        batch.back()->switch_to();
      }
    }
  };
  cycle(2);  // warm up: pools and allocator caches reach their steady size
  const std::size_t maps_before = mapping_count();
  const long rss_before = resident_pages();
  cycle(100);  // 10,000 greenlets, 100 alive at a time, destroyed while suspended
  EXPECT_LE(mapping_count(), maps_before);
  EXPECT_LE(resident_pages(), rss_before + rss_before / 20) << "resident set grew over 5%";
}

TEST(GreenletDeathTest, StackOverflowIsReportedWithIdAndSize) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Greenlet g([](std::any) -> std::any { return tide::testing::recurse_until_overflow(0); },
                   nullptr, 32 * 1024);
        g.switch_to();
      },
      "fibre stack overflow in fibre [0-9]+ \\(stack size 32768 bytes\\)");
}

}  // namespace
