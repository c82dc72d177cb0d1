// serve(): task and fibre handlers, the connection cap, header and idle deadlines, graceful
// shutdown, cancellation and failing handlers; the clients from tasks and fibres.
#include <poll.h>

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <tide/sync/event.hpp>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using namespace std::chrono_literals;
using tide::net::BufferedStream;
using tide::net::ServeOptions;
using tide::net::ServeStats;

namespace {

// Echoes line by line until the end of the stream.
tide::Task<void> echo_lines_task(TcpStream& stream) {
  BufferedStream io(stream);
  for (;;) {
    std::string line = co_await io.read_line();
    if (line.empty()) co_return;
    co_await stream.write_all(line);
  }
}

void echo_lines_fibre(TcpStream& stream) {
  BufferedStream io(stream);
  for (;;) {
    std::string line = tide::await(io.read_line());
    if (line.empty()) return;
    tide::await(stream.write_all(line));
  }
}

// Reads a header line (under serve's header deadline), clears the deadline, answers "ok",
// then echoes lines.
tide::Task<void> header_then_echo(TcpStream& stream) {
  BufferedStream io(stream);
  co_await io.read_line();
  stream.clear_deadline();
  co_await stream.write_all("ok\n");
  for (;;) {
    std::string line = co_await io.read_line();
    if (line.empty()) co_return;
    co_await stream.write_all(line);
  }
}

tide::Task<void> fail_on_boom(TcpStream& stream) {
  BufferedStream io(stream);
  for (;;) {
    std::string line = co_await io.read_line();
    if (line.empty()) co_return;
    if (line == "boom\n") throw std::runtime_error("boom requested");
    co_await stream.write_all(line);
  }
}

// Whether the peer has closed or reset (without consuming data we care about: the tests
// only look when nothing else is expected).
tide::Task<bool> peer_has_closed(TcpStream& stream) {
  pollfd p{stream.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) co_return false;
  std::byte b[16];
  try {
    co_return co_await stream.read_some(b) == 0;
  } catch (const std::system_error&) {
    co_return true;
  }
}

void ignore_error(std::exception_ptr) {}

// Connects, has one line echoed, then stops the server.
tide::Task<void> echo_once_then_stop(SocketAddress address, tide::Event& stop) {
  TcpStream client = co_await TcpStream::connect(address);
  co_await client.write_all("once\n");
  BufferedStream in(client);
  std::string echoed = co_await in.read_line();
  EXPECT_EQ(echoed, "once\n");
  client.close();
  stop.set();
}

}  // namespace

#define DUAL_SCENARIOS "serve_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(Serve, TaskHandlersServeConnectionsConcurrently)
DUAL_TEST(Serve, FibreHandlersServeConnectionsConcurrently)
DUAL_TEST(Serve, MaxConnectionsCapsWhatIsServed)
DUAL_TEST(Serve, ADribblingClientIsDroppedAtTheHeaderDeadline)
DUAL_TEST(Serve, AnIdleConnectionIsDropped)
DUAL_TEST(Serve, ShutdownLetsHandlersFinishThenCancelsTheRest)
DUAL_TEST(Serve, CancellingServeCancelsEveryHandler)
DUAL_TEST(Serve, AFailingHandlerIsReportedAndEndsOnlyItsConnection)
DUAL_TEST(Serve, BracedOptionsInTheAwaitExpression)
