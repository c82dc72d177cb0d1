// UnixListener, UnixStream, socketpair and UnixDatagram, from tasks and fibres.
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <span>
#include <string>

#include <tide/io/ops.hpp>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::UnixDatagram;
using tide::net::UnixListener;
using tide::net::UnixStream;

namespace {
// A socket path of this test process in the temporary directory (none left behind: the
// tests check the files go).
std::string temp_socket_path(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() /
              ("tide-" + std::to_string(::getpid()) + "-" + name + ".sock");
  std::filesystem::remove(path);
  return path.string();
}
}  // namespace

#define DUAL_SCENARIOS "unix_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(Unix, ListenerAcceptsAndRemovesItsFile)
DUAL_TEST(Unix, BindingAnExistingPathIsAnError)
DUAL_TEST(Unix, AbstractNamesLeaveNoFile)
DUAL_TEST(Unix, ConnectingToNothingNamesThePath)
DUAL_TEST(Unix, SocketpairCarriesBothWaysAndLendsChunks)
DUAL_TEST(Unix, DatagramsKeepTheirBoundaries)
DUAL_TEST(Unix, DatagramPairAndTruncation)
DUAL_TEST(Unix, TryAcceptTakesAQueuedConnection)
