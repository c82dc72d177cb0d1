// Seed: 001 (IO多路复用), "用poll实现案例１", mypollserver.py: a poll object with the listening
// socket registered for POLLIN | POLLERR, a dict from fd to socket, and per event: accept,
// or recv and `modify` to add POLLOUT, or send b'i have receive' and `modify` back. On tide
// the poll object is a tide::Selector: POLLIN is Events::read, POLLOUT Events::write, and
// POLLERR needs no bit (an error makes the fd ready for what it waits for; recv or send
// then reports it). `co_await sel.select()` returns (key, events) pairs as `po.poll()`
// returns (fileno, event) pairs. Once ready, sockets are accepted, read and written with the
// calls that do not wait (try_accept, try_read_some, try_write_some).
//
//   seed_poll_server [--port P] [--self-test N]
//
// Without --self-test it serves on 127.0.0.1 (port 0: the kernel picks; the port is printed)
// until killed; seed_myclient talks to it. With --self-test N it runs N clients (001's
// myclient, each sending two lines) as tasks on the same loop and stops once all hung up.
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

namespace {

using seeds::Options;
using seeds::parse;

// Python prints a peer as ('127.0.0.1', 54321).
// A client that reset the connection at once has no address left.
std::string python_address(const tide::TcpStream& conn) {
  try {
    const tide::SocketAddress address = conn.peer_address();
    return "('" + address.host() + "', " + std::to_string(address.port()) + ")";
  } catch (const std::system_error&) {
    return "(a client that has gone)";
  }
}

// [guide:poll-server]
// Serves until `clients` connections have hung up (0: forever).
tide::Task<void> poll_server(tide::TcpListener& socketfd, int clients) {
  struct Client {
    tide::TcpStream socket;
    std::string peer;  // getpeername() fails once the peer has reset the connection
  };
  std::map<int, Client> dic_fd;  // fd -> socket, as the seed's dict
  tide::Selector po;
  po.register_fd(socketfd.native_handle(), tide::Events::read);  // POLLIN | POLLERR
  int deleted = 0;
  while (clients == 0 || deleted < clients) {
    for (const auto& [key, event] : co_await po.select()) {  // events = po.poll()
      const int fn = key.fd;
      if (fn == socketfd.native_handle()) {
        std::optional<tide::TcpStream> conn = socketfd.try_accept();
        if (!conn) continue;  // the client gave up before we took it
        const int fd = conn->native_handle();
        po.register_fd(fd, tide::Events::read);  // POLLIN | POLLERR
        std::string peer = python_address(*conn);
        dic_fd.emplace(fd, Client{std::move(*conn), std::move(peer)});
      } else if (has(event, tide::Events::read)) {
        char data[1024];
        std::optional<std::size_t> n;
        try {
          n = dic_fd.at(fn).socket.try_read_some(std::as_writable_bytes(std::span(data)));
        } catch (const std::system_error&) {
          n = 0;  // a reset: deleted as a hang-up
        }
        if (!n) continue;
        if (*n == 0) {  // the client hung up (or reset the connection)
          po.unregister(fn);
          std::printf("has delete %s\n", dic_fd.at(fn).peer.c_str());
          dic_fd.erase(fn);  // close it
          ++deleted;
        } else {
          std::printf("%s : %.*s\n", dic_fd.at(fn).peer.c_str(), static_cast<int>(*n), data);
          po.modify(fn, tide::Events::read | tide::Events::write);  // | POLLOUT
        }
      } else if (has(event, tide::Events::write)) {
        try {
          (void)dic_fd.at(fn).socket.try_write_some("i have receive");  // as the seed's send
        } catch (const std::system_error& e) {  // a client gone away is deleted by its read
          if (e.code() != std::errc::broken_pipe && e.code() != std::errc::connection_reset) throw;
        }
        po.modify(fn, tide::Events::read);  // back to POLLIN | POLLERR
      }
    }
  }
}
// [guide-end]

// 001's myclient with two typed lines: sends each, prints the reply, hangs up.
tide::Task<void> myclient(tide::SocketAddress address, int i) {
  tide::TcpStream st = co_await tide::TcpStream::connect(address);
  for (int line = 1; line <= 2; ++line) {
    co_await st.write_all("line " + std::to_string(line) + " of client " + std::to_string(i));
    std::string data(std::string_view("i have receive").size(), '\0');
    co_await st.read_exact(std::as_writable_bytes(std::span(data)));
    std::printf("client %d: %s\n", i, data.c_str());
  }
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  if (options.self_test == 0) {
    co_await poll_server(listener, 0);
    co_return 0;
  }
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(myclient(listener.local_address(), i));
  co_await poll_server(listener, options.self_test);
  co_await group.join();
  std::printf("served %d clients\n", options.self_test);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_poll_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 3
// Output:
// listening on 127.0.0.1:<int>
// ~ ('127.0.0.1', <int>) : line 1 of client 1
// ~ ('127.0.0.1', <int>) : line 2 of client 1
// ~ ('127.0.0.1', <int>) : line 1 of client 2
// ~ ('127.0.0.1', <int>) : line 2 of client 2
// ~ ('127.0.0.1', <int>) : line 1 of client 3
// ~ ('127.0.0.1', <int>) : line 2 of client 3
// ~ client 1: i have receive
// ~ client 1: i have receive
// ~ client 2: i have receive
// ~ client 2: i have receive
// ~ client 3: i have receive
// ~ client 3: i have receive
// ~ has delete ('127.0.0.1', <int>)
// ~ has delete ('127.0.0.1', <int>)
// ~ has delete ('127.0.0.1', <int>)
// served 3 clients
