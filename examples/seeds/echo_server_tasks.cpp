// Seeds: 002 "IO模型" (阻塞IO, 非阻塞IO, IO多路复用), 001 "IO多路复用" (select.select, poll),
// 003 "IO多路复用" (select with message queues), 004 "以select方法为例子进行理解" (select,
// selectors, epoll): every one of those servers is the same echo server, written in tide as
// one task per connection. The loop does what their select/poll/epoll loops do by hand: it
// waits on every socket at once and resumes the task whose socket is ready; the task reads
// like the blocking server's inner loop. (002's servers reply upper-cased and 001's with a
// fixed "I have receive"; here the reply is the message, as in 003 and 004.) The seed-shaped
// versions, for comparison: seed_blocking_server, seed_nonblocking_server, seed_select_server,
// seed_poll_server, seed_epoll_server, seed_selectors_server.
//
//   seed_echo_server_tasks [--port P] [--self-test N]
//
// Without --self-test it serves on 127.0.0.1 (port 0: the kernel picks; the port is printed)
// until killed. With --self-test N it runs 004's client as N tasks on the same loop: every
// client connects, then in each of three rounds all send a part of the message and all read
// their echo back, so all N are connected at once; then it stops the server and prints what
// it served.
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <tide/core/run.hpp>
#include <tide/core/task_group.hpp>
#include <tide/net/serve.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>
#include <tide/sync/barrier.hpp>
#include <tide/sync/event.hpp>

#include "server_options.hpp"

namespace {

using seeds::Options;
using seeds::parse;

// [guide:echo-server-tasks]
// One connection: whatever arrives goes back, until the client hangs up.
tide::Task<void> echo(tide::TcpStream& conn) {
  for (;;) {
    tide::io::Chunk data = co_await conn.receive();  // waits for this socket only
    if (data.empty()) co_return;                     // the client hung up
    co_await conn.write_all(data.bytes());
  }
}

// Accepts connections and runs `echo` for each as a task, until `stop` is set.
tide::Task<void> echo_server(tide::TcpListener& listener, tide::Event& stop,
                             tide::net::ServeStats& stats) {
  // A named ServeOptions: given `{}` in its place, GCC 12.2 destroys its string twice.
  tide::net::ServeOptions options;
  co_await tide::net::serve(listener, echo, options, &stop, &stats);
}
// [guide-end]

// 004's client: the message goes in three parts.
constexpr std::string_view parts[] = {"This is the message. ", "It will be sent ", "in parts."};

struct Clients {
  explicit Clients(std::size_t n) : round(n) {}
  tide::Barrier round;  // every client finishes a round before any starts the next
  int checked[std::size(parts)] = {};
};

tide::Task<void> client(tide::SocketAddress address, Clients& clients) {
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  co_await clients.round.wait();  // all connected
  for (std::size_t r = 0; r < std::size(parts); ++r) {
    co_await stream.write_all(parts[r]);
    std::string echoed(parts[r].size(), '\0');
    co_await stream.read_exact(std::as_writable_bytes(std::span(echoed)));
    if (echoed != parts[r]) throw std::runtime_error("client: wrong echo '" + echoed + "'");
    ++clients.checked[r];
    co_await clients.round.wait();
  }
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  tide::Event stop;
  tide::net::ServeStats stats;
  if (options.self_test == 0) {
    co_await echo_server(listener, stop, stats);
    co_return 0;
  }
  auto server = tide::spawn(echo_server(listener, stop, stats));
  Clients clients(static_cast<std::size_t>(options.self_test));
  tide::TaskGroup group;
  for (int i = 0; i < options.self_test; ++i)
    group.spawn(client(listener.local_address(), clients));
  co_await group.join();
  for (std::size_t r = 0; r < std::size(parts); ++r)
    std::printf("round %zu: %d echoes of b'%.*s' checked\n", r + 1, clients.checked[r],
                static_cast<int>(parts[r].size()), parts[r].data());
  stop.set();
  co_await server;
  std::printf("served %llu connections, at most %zu at once, %llu failed\n",
              static_cast<unsigned long long>(stats.accepted), stats.peak,
              static_cast<unsigned long long>(stats.failed));
  co_return stats.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_echo_server_tasks: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 50
// Output:
// listening on 127.0.0.1:<int>
// round 1: 50 echoes of b'This is the message. ' checked
// round 2: 50 echoes of b'It will be sent ' checked
// round 3: 50 echoes of b'in parts.' checked
// served 50 connections, at most 50 at once, 0 failed
