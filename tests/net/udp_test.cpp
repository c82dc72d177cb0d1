// UdpSocket, from tasks and fibres.
#include <poll.h>

#include <optional>
#include <span>
#include <string_view>

#include <tide/io/ops.hpp>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::UdpSocket;

#define DUAL_SCENARIOS "udp_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(Udp, SendToAndRecvFrom)
DUAL_TEST(Udp, ConnectedModeSendsToAndHearsOnlyThePeer)
DUAL_TEST(Udp, OversizedDatagramIsTruncatedAndSaysSo)
DUAL_TEST(Udp, Ipv6Datagrams)
DUAL_TEST(Udp, CancelledReceiveTakesNothing)
DUAL_TEST(Udp, TryRecvFromAndTrySendToReturnAtOnce)
