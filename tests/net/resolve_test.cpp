// resolve(): getaddrinfo on the thread pool, errors carrying gai's message.
#include <algorithm>
#include <string>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::resolve;
using tide::net::ResolveError;
using tide::net::ResolveOptions;

namespace in_tasks {
#include "dual_end.inc"
#include "dual_task.inc"
#include "resolve_scenarios.inc"
}  // namespace in_tasks

namespace in_fibres {
#include "dual_end.inc"
#include "dual_fibre.inc"
#include "resolve_scenarios.inc"
}  // namespace in_fibres

DUAL_TEST(Resolve, NumericHostsAndServices)
DUAL_TEST(Resolve, LocalhostGivesLoopback)
DUAL_TEST(Resolve, FamilyFilter)
DUAL_TEST(Resolve, PassiveEmptyHostIsTheWildcard)
DUAL_TEST(Resolve, UnknownNamesCarryGaiMessage)
