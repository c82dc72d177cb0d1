// Seed: 002 (Python-并发编程), "IO模型 / 阻塞IO": a server that accepts one client, sends back
// each message upper-cased until that client hangs up, and only then accepts the next; its
// client sends "hello world" and prints the reply. tide's sockets never block the thread, so
// the server is one task awaiting accept and read: the seed's shape, one client at a time,
// and the seed's cost with it: a second client connects (the kernel completes the handshake
// and queues it) but hears nothing until the first has hung up. The self-test shows it: each
// client prints how many clients had hung up before its reply came. seed_echo_server_tasks
// serves every client at once.
//
//   seed_blocking_server [--port P] [--self-test N]
//
// Without --self-test it serves clients on 127.0.0.1 (port 0: the kernel picks; the port is
// printed) until killed. With --self-test N it runs N clients as tasks on the same loop, all
// connected at once, serves them one after another, and stops.
#include <cctype>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/task_group.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>
#include <tide/sync/event.hpp>

#include "server_options.hpp"

namespace {

using seeds::Options;
using seeds::parse;
using seeds::peer_of;

std::string_view text(const std::byte* data, std::size_t n) {
  return {reinterpret_cast<const char*>(data), n};
}

// [guide:blocking-server]
// The seed's loop: accept one client, serve it until it hangs up, then accept the next.
// `clients` limits how many are served (0: forever).
tide::Task<void> blocking_server(tide::TcpListener& listener, int clients) {
  for (int served = 0; clients == 0 || served < clients; ++served) {
    tide::TcpStream conn = co_await listener.accept();
    std::printf("server: connection from %s\n", peer_of(conn).c_str());
    std::byte data[1024];
    try {
      for (;;) {
        const std::size_t n = co_await conn.read_some(data);  // conn.recv(1024)
        if (n == 0) break;                                    // the client hung up
        std::printf("server: b'%.*s'\n", static_cast<int>(n), reinterpret_cast<const char*>(data));
        for (std::size_t i = 0; i < n; ++i)  // data.upper()
          data[i] = static_cast<std::byte>(std::toupper(static_cast<unsigned char>(data[i])));
        co_await conn.write_all(std::span(data, n));
      }
    } catch (const std::system_error& e) {  // except ConnectionResetError as e: print(e)
      if (e.code() != std::errc::connection_reset && e.code() != std::errc::broken_pipe) throw;
      std::printf("server: %s\n", e.what());
      continue;
    }
    std::printf("server: client hung up\n");
  }
}
// [guide-end]

// What the self-test's clients share.
struct Clients {
  std::vector<std::unique_ptr<tide::Event>> connected;  // client i has connected
  int hung_up = 0;
};

// Client `i` (from 1): connects right after client i - 1 (so the server's queue holds them in
// order), sends two messages, and prints each reply with the number of clients that had hung
// up by then: with a server that serves one client at a time, client i's first reply waits
// for all i - 1 before it.
tide::Task<void> client(tide::SocketAddress address, int i, Clients& clients) {
  if (i > 1) co_await clients.connected[i - 2]->wait();
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  clients.connected[i - 1]->set();
  for (int m = 1; m <= 2; ++m) {
    const std::string message =
        "hello world from client " + std::to_string(i) + " (" + std::to_string(m) + ")";
    co_await stream.write_all(message);
    std::byte reply[1024];
    std::size_t got = 0;
    while (got < message.size()) {
      const std::size_t n = co_await stream.read_some(std::span(reply).subspan(got));
      if (n == 0) throw std::runtime_error("client: the server closed the connection");
      got += n;
    }
    std::printf("client %d: %.*s (%d clients had hung up)\n", i, static_cast<int>(got),
                text(reply, got).data(), clients.hung_up);
  }
  std::printf("client %d: hanging up\n", i);
  ++clients.hung_up;
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  if (options.self_test == 0) {
    co_await blocking_server(listener, 0);
    co_return 0;
  }
  Clients clients;
  for (int i = 0; i < options.self_test; ++i)
    clients.connected.push_back(std::make_unique<tide::Event>());
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(client(listener.local_address(), i, clients));
  co_await blocking_server(listener, options.self_test);
  co_await group.join();
  std::printf("served %d clients, one at a time\n", options.self_test);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_blocking_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 3
// Output:
// listening on 127.0.0.1:<int>
// server: connection from 127.0.0.1:<int>
// server: b'hello world from client 1 (1)'
// client 1: HELLO WORLD FROM CLIENT 1 (1) (0 clients had hung up)
// server: b'hello world from client 1 (2)'
// client 1: HELLO WORLD FROM CLIENT 1 (2) (0 clients had hung up)
// client 1: hanging up
// server: client hung up
// server: connection from 127.0.0.1:<int>
// server: b'hello world from client 2 (1)'
// client 2: HELLO WORLD FROM CLIENT 2 (1) (1 clients had hung up)
// server: b'hello world from client 2 (2)'
// client 2: HELLO WORLD FROM CLIENT 2 (2) (1 clients had hung up)
// client 2: hanging up
// server: client hung up
// server: connection from 127.0.0.1:<int>
// server: b'hello world from client 3 (1)'
// client 3: HELLO WORLD FROM CLIENT 3 (1) (2 clients had hung up)
// server: b'hello world from client 3 (2)'
// client 3: HELLO WORLD FROM CLIENT 3 (2) (2 clients had hung up)
// client 3: hanging up
// server: client hung up
// served 3 clients, one at a time
