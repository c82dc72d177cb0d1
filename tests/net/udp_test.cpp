// UdpSocket, from tasks and fibres.
#include <span>
#include <string_view>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::UdpSocket;

namespace in_tasks {
#include "dual_end.inc"
#include "dual_task.inc"
#include "udp_scenarios.inc"
}  // namespace in_tasks

namespace in_fibres {
#include "dual_end.inc"
#include "dual_fibre.inc"
#include "udp_scenarios.inc"
}  // namespace in_fibres

DUAL_TEST(Udp, SendToAndRecvFrom)
DUAL_TEST(Udp, ConnectedModeSendsToAndHearsOnlyThePeer)
DUAL_TEST(Udp, OversizedDatagramIsTruncatedAndSaysSo)
DUAL_TEST(Udp, Ipv6Datagrams)
DUAL_TEST(Udp, CancelledReceiveTakesNothing)
