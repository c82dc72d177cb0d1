// Issue 15's robustness items, each once from a task and once from a fibre (dual.hpp), on
// every backend: running out of descriptors on accept, cancelling a connect that cannot
// finish, closing busy connections, resets and broken pipes without SIGPIPE, a peer vanishing
// mid-write, a client that never reads, and 10,000 connections on one loop.
// The scenarios hand lambdas to serve() and keep them in coroutine frames. g++ warns about a
// type without linkage inside an entity defined in an included file (the scenario file, and
// serve's templates instantiated with it), in case another translation unit defines that
// entity differently; these are included by this file only. Set before any include, since a
// template's warnings follow the pragmas in force where it is defined.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/timeout.hpp>
#include <tide/core/when_all.hpp>
#include <tide/net/net.hpp>
#include <tide/sync/event.hpp>

#include "dual.hpp"
#include "peers.hpp"
#include "robust_peers.hpp"
#include "sanitizers.hpp"

using namespace tide::testing;
using tide::Event;

#define DUAL_SCENARIOS "robustness_scenarios.inc"
#include "dual_scenarios.inc"

// As DUAL_TEST, for a scenario that needs `fds` descriptors open at once: the soft
// RLIMIT_NOFILE is raised for the test (and put back after); if the hard limit does not allow
// it, the test is skipped and says so.
#define DUAL_TEST_WITH_FDS(suite, name, fds)                                                  \
  TEST(suite, name##_Task) {                                                                  \
    auto limit = FdLimit::at_least(fds);                                                      \
    if (!limit)                                                                               \
      GTEST_SKIP() << "needs " << (fds) << " descriptors; RLIMIT_NOFILE's hard limit is "     \
                   << FdLimit::current().rlim_max;                                            \
    tide::testing::run_clean([]() -> tide::Task<void> { co_await in_tasks::name(); });        \
  }                                                                                           \
  TEST(suite, name##_Fibre) {                                                                 \
    auto limit = FdLimit::at_least(fds);                                                      \
    if (!limit)                                                                               \
      GTEST_SKIP() << "needs " << (fds) << " descriptors; RLIMIT_NOFILE's hard limit is "     \
                   << FdLimit::current().rlim_max;                                            \
    tide::testing::run_clean(                                                                 \
        []() -> tide::Task<void> { co_await tide::spawn_fiber([] { in_fibres::name(); }); }); \
  }

DUAL_TEST(Robustness, RunningOutOfDescriptorsPausesAcceptingAndRecovers)
DUAL_TEST(Robustness, CancellingAConnectThatCannotFinishEndsItOnce)
DUAL_TEST(Robustness, AConnectThatCannotFinishTimesOutOnce)
DUAL_TEST_WITH_FDS(Robustness, ClosingAThousandBusyConnectionsEndsEachOperationOnce, 2'100)
DUAL_TEST(Robustness, ResetAndBrokenPipeAreSystemErrorsWithSigpipeAtItsDefault)
DUAL_TEST(Robustness, APeerVanishingMidWriteEndsTheWriteWithAnError)
DUAL_TEST(Robustness, AClientThatNeverReadsDoesNotStallTheOthers)
// The server's 10,000 descriptors and some slack (the clients are another process).
DUAL_TEST_WITH_FDS(Robustness, TenThousandConnectionsOnOneLoop, 10'200)
