// TcpListener and TcpStream, from tasks and fibres (dual.hpp), on every backend.
#include <poll.h>

#include <span>
#include <string>

#include <tide/io/ops.hpp>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::EndOfStream;

#define DUAL_SCENARIOS "tcp_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(Tcp, ConnectAcceptAndEcho)
DUAL_TEST(Tcp, ReadSomeReturnsWhatIsThereAndZeroAtTheEnd)
DUAL_TEST(Tcp, ReadExactThrowsEndOfStreamWithTheCount)
DUAL_TEST(Tcp, HalfCloseStillLetsUsWrite)
DUAL_TEST(Tcp, ReceiveLendsChunksUntilTheEnd)
DUAL_TEST(Tcp, ConnectToAClosedPortIsRefused)
DUAL_TEST(Tcp, ResetArrivesAsSystemError)
DUAL_TEST(Tcp, WritingToAVanishedPeerIsEpipeNotSigpipe)
DUAL_TEST(Tcp, Ipv6Loopback)
DUAL_TEST(Tcp, ConnectByNameResolvesLocalhost)
DUAL_TEST(Tcp, OptionsAreSetAndRead)
DUAL_TEST(Tcp, OperationsAfterCloseFailWithEbadf)
DUAL_TEST(Tcp, CloseEndsAPendingReadOnce)
DUAL_TEST(Tcp, ListenerCloseEndsAPendingAccept)
DUAL_TEST(Tcp, BindingAPortInUseNamesIt)
DUAL_TEST(Tcp, ReusePortLetsTwoListenersShareAPort)
DUAL_TEST(Tcp, TryAcceptGivesNothingUntilAConnectionIsQueued)
DUAL_TEST(Tcp, TryAcceptFindsWhatTheAcceptorQueued)
DUAL_TEST(Tcp, TryReadSomeGivesNothingThenTheBytesThenTheEnd)
DUAL_TEST(Tcp, TryWriteSomeStopsWhenTheSendBufferIsFull)
DUAL_TEST(Tcp, TryReadSomeRefusesAStreamReadThroughReceive)
DUAL_TEST(Tcp, TryCallsAfterCloseFailWithEbadf)
DUAL_TEST(Tcp, TryReadSomeAfterTheDeadlineIsATimeout)
