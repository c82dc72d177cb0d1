// Seed: 002 (Python-并发编程), "IO模型 / 非阻塞IO" (and 000's `setblocking(False)` accept loop):
// the server polls: it tries accept(), and when that raises BlockingIOError it tries recv() on
// every client, sending back what arrived upper-cased, and starts over. tide's twins of those
// non-blocking calls are try_accept and try_read_some: a connection or a count, or nothing
// where Python raises BlockingIOError. A task
// that never awaits would starve the loop (the seed's process only starves itself), so each
// fruitless round yields once: the loop then spins at 100% CPU, as the seed does. The
// summary counts the rounds that found nothing, which is what polling costs.
//
//   seed_nonblocking_server [--port P] [--self-test N]
//
// Without --self-test it serves clients on 127.0.0.1 (port 0: the kernel picks; the port is
// printed) until killed. With --self-test N it runs N clients as tasks on the same loop.
#include <cctype>
#include <cstdio>
#include <list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task_group.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>

#include "server_options.hpp"

namespace {

using seeds::Options;
using seeds::parse;
using seeds::peer_of;

// [guide:nonblocking-server]
// Polls until `clients` connections have come and gone (0: forever); returns the number of
// rounds that found nothing to do.
tide::Task<long> nonblocking_server(tide::TcpListener& server, int clients) {
  std::list<tide::TcpStream> client_list;
  long idle_rounds = 0;
  int hung_up = 0;
  while (clients == 0 || hung_up < clients) {
    if (std::optional<tide::TcpStream> accepted = server.try_accept()) {  // server.accept()
      tide::TcpStream& conn = client_list.emplace_back(std::move(*accepted));
      std::printf("server: connection from %s\n", peer_of(conn).c_str());
      continue;
    }
    // except BlockingIOError: try every client.
    bool worked = false;
    for (auto conn = client_list.begin(); conn != client_list.end();) {
      char data[1024];
      std::optional<std::size_t> n;
      try {
        n = conn->try_read_some(std::as_writable_bytes(std::span(data)));
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::connection_reset) throw;
        n = 0;
      }
      if (!n) {  // BlockingIOError: nothing from this one yet
        ++conn;
        continue;
      }
      worked = true;
      if (*n == 0) {  // hung up (0) or reset (ECONNRESET): close it and forget it
        std::printf("server: client hung up\n");
        conn = client_list.erase(conn);
        ++hung_up;
        continue;
      }
      std::printf("server: b'%.*s'\n", static_cast<int>(*n), data);
      for (std::size_t i = 0; i < *n; ++i)
        data[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(data[i])));
      // The seed's send() raises BlockingIOError on a full buffer; write_all waits for room.
      co_await conn->write_all(std::string_view(data, *n));
      ++conn;
    }
    if (!worked) {
      ++idle_rounds;
      co_await tide::yield_now();  // let the loop run the rest, then poll again
    }
  }
  co_return idle_rounds;
}
// [guide-end]

// Client `i`: connects, sends two messages, prints each reply, hangs up.
tide::Task<void> client(tide::SocketAddress address, int i) {
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  for (int m = 1; m <= 2; ++m) {
    const std::string message =
        "hello world from client " + std::to_string(i) + " (" + std::to_string(m) + ")";
    co_await stream.write_all(message);
    char reply[1024];
    std::size_t got = 0;
    while (got < message.size()) {
      const std::size_t n = co_await stream.read_some(
          std::as_writable_bytes(std::span(reply + got, sizeof reply - got)));
      if (n == 0) throw std::runtime_error("client: the server closed the connection");
      got += n;
    }
    std::printf("client %d: %.*s\n", i, static_cast<int>(got), reply);
  }
  std::printf("client %d: hanging up\n", i);
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  if (options.self_test == 0) {
    co_await nonblocking_server(listener, 0);
    co_return 0;
  }
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(client(listener.local_address(), i));
  const long idle_rounds = co_await nonblocking_server(listener, options.self_test);
  co_await group.join();
  std::printf("served %d clients; %ld polls found nothing to do\n", options.self_test, idle_rounds);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_nonblocking_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 3
// Output:
// listening on 127.0.0.1:<int>
// ~ server: connection from 127.0.0.1:<int>
// ~ server: connection from 127.0.0.1:<int>
// ~ server: connection from 127.0.0.1:<int>
// ~ server: b'hello world from client 1 (1)'
// ~ server: b'hello world from client 1 (2)'
// ~ server: b'hello world from client 2 (1)'
// ~ server: b'hello world from client 2 (2)'
// ~ server: b'hello world from client 3 (1)'
// ~ server: b'hello world from client 3 (2)'
// ~ client 1: HELLO WORLD FROM CLIENT 1 (1)
// ~ client 1: HELLO WORLD FROM CLIENT 1 (2)
// ~ client 2: HELLO WORLD FROM CLIENT 2 (1)
// ~ client 2: HELLO WORLD FROM CLIENT 2 (2)
// ~ client 3: HELLO WORLD FROM CLIENT 3 (1)
// ~ client 3: HELLO WORLD FROM CLIENT 3 (2)
// ~ client 1: hanging up
// ~ client 2: hanging up
// ~ client 3: hanging up
// ~ server: client hung up
// ~ server: client hung up
// ~ server: client hung up
// served 3 clients; <int> polls found nothing to do
