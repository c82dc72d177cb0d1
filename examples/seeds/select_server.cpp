// Seed: 003 (IO多路复用), the select.select echo server with `inputs`, `outputs` and
// `message_queues` (004's "以select方法为例子进行理解" and 001's myselectserver.py have the
// same shape). On tide the lists become a tide::Selector: being in `inputs` is a key that
// waits for Events::read, being in `outputs` one that also waits for Events::write, and
// `co_await sel.select(timeout)` hands back the ready keys, which the loop splits into the
// seed's readable and writable lists. Once reported ready, sockets are accepted, read and
// written with the calls that do not wait (try_accept, try_read_some, try_write_some), as the
// seed's non-blocking sockets are. select's third list, `exceptional`, has no Selector twin
// (Python's selectors has none either): an error or hang-up makes the socket readable, and the
// read says which. The seed is Python 2 (print statements, Queue); its prints are kept in English.
//
//   seed_select_server [--port P] [--self-test N]
//
// Without --self-test it serves on 127.0.0.1 (port 0: the kernel picks; the port is printed)
// until killed. With --self-test N it runs N clients as tasks on the same loop (the server's
// select() is awaited, so they run while it waits), stops once all have hung up, and counts
// the lines whose number depends on timing (select rounds, empty queues) instead of printing
// them.
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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
using seeds::peer_of;

struct Counts {
  long rounds = 0;        // "等待活动连接......": once per select()
  long empty_queues = 0;  // "消息队列为空": a writable socket with nothing to send
};

// [guide:select-server]
// Serves until `clients` connections have hung up (0: forever).
tide::Task<Counts> select_server(tide::TcpListener& server, int clients, bool quiet) {
  Counts counts;
  tide::Selector sel;
  sel.register_fd(server.native_handle(), tide::Events::read);  // inputs = [server]
  struct Client {
    tide::TcpStream socket;
    std::string peer;  // getpeername() fails once the peer has reset the connection
  };
  std::map<int, Client> sockets;  // by fd
  std::map<int, std::deque<std::string>> message_queues;
  const auto timeout = 20s;
  int hung_up = 0;
  while (clients == 0 || hung_up < clients) {
    ++counts.rounds;
    if (!quiet) std::printf("waiting for activity...\n");
    const tide::Selector::Ready ready = co_await sel.select(timeout);
    if (ready.empty()) {
      std::printf("select timed out with no activity, selecting again...\n");
      continue;
    }
    std::vector<int> readable, writable;
    for (const auto& [key, events] : ready) {
      if (has(events, tide::Events::read)) readable.push_back(key.fd);
      if (has(events, tide::Events::write)) writable.push_back(key.fd);
    }
    for (const int s : readable) {
      if (s == server.native_handle()) {  // a new connection
        std::optional<tide::TcpStream> connection = server.try_accept();
        if (!connection) continue;  // the client gave up already
        const int fd = connection->native_handle();
        std::string peer = peer_of(*connection);
        std::printf("new connection: %s\n", peer.c_str());
        sockets.emplace(fd, Client{std::move(*connection), std::move(peer)});
        sel.register_fd(fd, tide::Events::read);  // inputs.append(connection)
        message_queues[fd];
        continue;
      }
      char data[1024];
      std::optional<std::size_t> n;
      try {
        n = sockets.at(s).socket.try_read_some(std::as_writable_bytes(std::span(data)));
      } catch (const std::system_error&) {
        n = 0;  // a reset: closed below, as at the end of the stream
      }
      if (!n) continue;  // nothing there after all
      if (*n > 0) {
        std::printf("received b'%.*s' from %s\n", static_cast<int>(*n), data,
                    sockets.at(s).peer.c_str());
        message_queues[s].emplace_back(data, *n);
        sel.modify(s, tide::Events::read | tide::Events::write);  // outputs.append(s)
      } else {  // end of stream (or an error such as a reset): close the connection
        std::printf("closing %s\n", sockets.at(s).peer.c_str());
        sel.unregister(s);  // out of inputs and outputs
        sockets.erase(s);   // s.close()
        message_queues.erase(s);
        ++hung_up;
      }
    }
    for (const int s : writable) {
      if (!sockets.contains(s)) continue;  // closed above, in this same round
      std::deque<std::string>& queue = message_queues.at(s);
      if (queue.empty()) {
        ++counts.empty_queues;
        if (!quiet) std::printf("%s: queue empty\n", sockets.at(s).peer.c_str());
        sel.modify(s, tide::Events::read);  // outputs.remove(s)
        continue;
      }
      std::string msg = std::move(queue.front());
      queue.pop_front();
      std::printf("sending b'%s' to %s\n", msg.c_str(), sockets.at(s).peer.c_str());
      std::optional<std::size_t> sent;
      try {
        sent = sockets.at(s).socket.try_write_some(msg);
      } catch (const std::system_error& e) {  // a client that went away is closed by its read
        if (e.code() != std::errc::broken_pipe && e.code() != std::errc::connection_reset) throw;
      }
      if (sent && *sent < msg.size()) queue.push_front(msg.substr(*sent));  // the rest, later
    }
  }
  co_return counts;
}
// [guide-end]

// Client `i`: connects, sends two messages, checks each echo, hangs up.
tide::Task<void> client(tide::SocketAddress address, int i) {
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  for (int m = 1; m <= 2; ++m) {
    const std::string message =
        "hello from client " + std::to_string(i) + " (" + std::to_string(m) + ")";
    co_await stream.write_all(message);
    std::string echoed(message.size(), '\0');
    co_await stream.read_exact(std::as_writable_bytes(std::span(echoed)));
    if (echoed != message) throw std::runtime_error("client: wrong echo '" + echoed + "'");
  }
}

tide::Task<int> run(Options options) {
  auto listener = tide::TcpListener::bind(
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  if (options.self_test == 0) {
    co_await select_server(listener, 0, false);
    co_return 0;
  }
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(client(listener.local_address(), i));
  const Counts counts = co_await select_server(listener, options.self_test, true);
  co_await group.join();
  std::printf("served %d clients in %ld select rounds; %ld times a queue was empty\n",
              options.self_test, counts.rounds, counts.empty_queues);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_select_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 3
// Output:
// listening on 127.0.0.1:<int>
// ~ new connection: 127.0.0.1:<int>
// ~ new connection: 127.0.0.1:<int>
// ~ new connection: 127.0.0.1:<int>
// ~ received b'hello from client 1 (1)' from 127.0.0.1:<int>
// ~ received b'hello from client 1 (2)' from 127.0.0.1:<int>
// ~ received b'hello from client 2 (1)' from 127.0.0.1:<int>
// ~ received b'hello from client 2 (2)' from 127.0.0.1:<int>
// ~ received b'hello from client 3 (1)' from 127.0.0.1:<int>
// ~ received b'hello from client 3 (2)' from 127.0.0.1:<int>
// ~ sending b'hello from client 1 (1)' to 127.0.0.1:<int>
// ~ sending b'hello from client 1 (2)' to 127.0.0.1:<int>
// ~ sending b'hello from client 2 (1)' to 127.0.0.1:<int>
// ~ sending b'hello from client 2 (2)' to 127.0.0.1:<int>
// ~ sending b'hello from client 3 (1)' to 127.0.0.1:<int>
// ~ sending b'hello from client 3 (2)' to 127.0.0.1:<int>
// ~ closing 127.0.0.1:<int>
// ~ closing 127.0.0.1:<int>
// ~ closing 127.0.0.1:<int>
// served 3 clients in <int> select rounds; <int> times a queue was empty
