// resolve(): getaddrinfo on the thread pool, errors carrying gai's message.
#include <algorithm>
#include <string>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::resolve;
using tide::net::ResolveError;
using tide::net::ResolveOptions;

#define DUAL_SCENARIOS "resolve_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(Resolve, NumericHostsAndServices)
DUAL_TEST(Resolve, LocalhostGivesLoopback)
DUAL_TEST(Resolve, FamilyFilter)
DUAL_TEST(Resolve, PassiveEmptyHostIsTheWildcard)
DUAL_TEST(Resolve, UnknownNamesCarryGaiMessage)
