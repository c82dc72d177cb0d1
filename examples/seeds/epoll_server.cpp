// Seed: 004 (多进程、线程、协程、事件驱动及select poll epoll), "epoll": register each fd once,
// wait for the fds that are ready, and, edge-triggered, act on each until it would block
// (the seed describes epoll without code; this is the usual select.epoll echo server it
// describes: fd-keyed dicts of connections and pending replies, EPOLLIN | EPOLLET, `modify` to
// EPOLLOUT while a reply is pending). On tide the epoll object is a tide::Selector, whose
// readiness is level-triggered only (select(2) and poll(2) semantics; it has no EPOLLET).
// An edge-triggered loop keeps its shape anyway: it drains each fd until EAGAIN, which is
// also correct under level triggering (at worst one more wake-up finds nothing). EPOLLHUP
// has no bit either: a hang-up makes the fd readable and the read returns 0. Sockets are
// accepted, read and written with the calls that do not wait (try_accept, try_read_some,
// try_write_some).
//
//   seed_epoll_server [--port P] [--self-test N]
//
// Without --self-test it serves on 127.0.0.1 (port 0: the kernel picks; the port is printed)
// until killed. With --self-test N it runs N clients as tasks on the same loop and stops
// once all hung up.
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/core/run.hpp>
#include <tide/core/task_group.hpp>
#include <tide/io/selector.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>

#include "server_options.hpp"

using namespace std::chrono_literals;

namespace {

using seeds::Options;
using seeds::parse;

struct Served {
  int connections = 0;
  long bytes = 0;  // echoed
};

// [guide:epoll-server]
// Serves until `clients` connections have hung up (0: forever).
tide::Task<Served> epoll_server(tide::TcpListener& serversocket, int clients) {
  Served served;
  const int server_fd = serversocket.native_handle();
  tide::Selector epoll;
  epoll.register_fd(server_fd, tide::Events::read);  // EPOLLIN | EPOLLET
  std::map<int, tide::TcpStream> connections;
  std::map<int, std::string> responses;
  int hung_up = 0;
  while (clients == 0 || hung_up < clients) {
    for (const auto& [key, event] : co_await epoll.select(1s)) {  // epoll.poll(1)
      const int fileno = key.fd;
      if (fileno == server_fd) {
        // edge-triggered: accept until it would block
        while (std::optional<tide::TcpStream> connection = serversocket.try_accept()) {
          const int fd = connection->native_handle();
          connections.emplace(fd, std::move(*connection));
          responses[fd];
          epoll.register_fd(fd, tide::Events::read);  // EPOLLIN | EPOLLET
          ++served.connections;
        }
      } else if (has(event, tide::Events::read)) {
        bool hang_up = false;
        for (;;) {  // read until it would block
          char data[1024];
          std::optional<std::size_t> n;
          try {
            n = connections.at(fileno).try_read_some(std::as_writable_bytes(std::span(data)));
          } catch (const std::system_error&) {
            n = 0;  // a reset: a hang-up too
          }
          if (!n) break;
          if (*n == 0) {  // the client hung up (or reset)
            hang_up = true;
            break;
          }
          responses[fileno].append(data, *n);
        }
        if (hang_up) {
          epoll.unregister(fileno);
          connections.erase(fileno);  // close
          responses.erase(fileno);
          ++hung_up;
        } else if (!responses[fileno].empty()) {
          epoll.modify(fileno, tide::Events::write);  // EPOLLOUT | EPOLLET
        }
      } else if (has(event, tide::Events::write)) {
        std::string& response = responses[fileno];
        while (!response.empty()) {  // write until done or it would block
          std::optional<std::size_t> n;
          try {
            n = connections.at(fileno).try_write_some(response);
          } catch (const std::system_error& e) {
            if (e.code() != std::errc::broken_pipe && e.code() != std::errc::connection_reset)
              throw;
            response.clear();  // the client is gone; its hang-up comes as a read event
            break;
          }
          if (!n) break;
          served.bytes += static_cast<long>(*n);
          response.erase(0, *n);
        }
        if (response.empty()) epoll.modify(fileno, tide::Events::read);  // EPOLLIN | EPOLLET
      }
    }
  }
  co_return served;
}
// [guide-end]

// Client `i`: connects, sends three messages, checks each echo, hangs up.
tide::Task<void> client(tide::SocketAddress address, int i) {
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  for (int m = 1; m <= 3; ++m) {
    const std::string message = "message " + std::to_string(m) + " of client " + std::to_string(i);
    co_await stream.write_all(message);
    std::string echoed(message.size(), '\0');
    co_await stream.read_exact(std::as_writable_bytes(std::span(echoed)));
    if (echoed != message) throw std::runtime_error("client: wrong echo '" + echoed + "'");
  }
  std::printf("client %d: 3 echoes checked\n", i);
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  if (options.self_test == 0) {
    co_await epoll_server(listener, 0);
    co_return 0;
  }
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(client(listener.local_address(), i));
  const Served served = co_await epoll_server(listener, options.self_test);
  co_await group.join();
  std::printf("served %d connections, echoed %ld bytes\n", served.connections, served.bytes);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_epoll_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 4
// Output:
// listening on 127.0.0.1:<int>
// ~ client 1: 3 echoes checked
// ~ client 2: 3 echoes checked
// ~ client 3: 3 echoes checked
// ~ client 4: 3 echoes checked
// served 4 connections, echoed 252 bytes
