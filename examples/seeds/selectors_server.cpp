// Seed: 004 (多进程、线程、协程、事件驱动及select poll epoll), the `selectors` echo server:
// `sel.register(server, EVENT_READ, accept)`, and accept registers each connection with
// `read` as its callback, which echoes what arrives or unregisters and closes the connection.
// On tide these are the Selector's callback keys (`register_fd(fd, events, callback)`, as
// asyncio's add_reader): the loop runs the callback whenever the fd is ready, so the seed's
// `while True: events = sel.select(); for key, mask in events: key.data(key.fileobj, mask)`
// is the loop itself and disappears. (That loop also ports as it is, with the callback in
// the key's data and `co_await sel.select()`; see tide::Selector.) Callbacks run on the loop
// and cannot await: they use the sockets' calls that do not wait (try_accept, try_read_some,
// try_write_some), as the seed's sockets are non-blocking.
//
//   seed_selectors_server [--port P] [--self-test N]
//
// Without --self-test it serves on 127.0.0.1 (port 0: the kernel picks; the port is printed)
// until killed (seed_many_clients --port P sends it 10,000 clients). With --self-test N it
// runs N clients as tasks on the same loop and stops once all hung up.
#include <cstdio>
#include <functional>
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
#include <tide/sync/event.hpp>

#include "server_options.hpp"

namespace {

using seeds::Options;
using seeds::parse;

// What the callbacks share: the selector, the open connections, and when to stop.
struct Server {
  tide::Selector sel;
  std::map<int, tide::TcpStream> connections;
  bool verbose = true;
  int clients = 0;  // stop after this many hung up (0: never)
  int hung_up = 0;
  tide::Event done;
};

// [guide:selectors-server]
void read(Server& server, int fd, tide::Events mask) {
  tide::TcpStream& conn = server.connections.at(fd);
  char data[1024];
  std::optional<std::size_t> n;
  try {
    n = conn.try_read_some(std::as_writable_bytes(std::span(data)));
  } catch (const std::system_error&) {
    n = 0;  // reset by the peer: as the seed, treat it as a hang-up
  }
  if (!n) return;  // nothing there after all
  if (*n > 0) {
    const std::string_view received(data, *n);
    if (server.verbose)
      std::printf("mask: %s, data: b'%.*s'\n", to_string(mask).c_str(),
                  static_cast<int>(received.size()), received.data());
    // conn.send(data): the seed assumes an echo of 1 KiB fits the socket's buffer.
    try {
      if (conn.try_write_some(received) == received.size()) return;
    } catch (const std::system_error& e) {  // a client gone away hangs up through its read
      if (e.code() == std::errc::broken_pipe || e.code() == std::errc::connection_reset) return;
      throw;
    }
    throw std::runtime_error("send: the echo did not fit the socket's buffer");
  }
  if (server.verbose) std::printf("client disconnected\n");
  server.sel.unregister(fd);
  server.connections.erase(fd);  // conn.close()
  if (++server.hung_up == server.clients) server.done.set();
}

void accept(Server& server, tide::TcpListener& sock, tide::Events) {
  std::optional<tide::TcpStream> conn = sock.try_accept();  // conn, addr = sock.accept()
  if (!conn) return;                                        // the client gave up before we took it
  const int fd = conn->native_handle();
  server.connections.emplace(fd, std::move(*conn));
  if (server.verbose) std::printf("a new connection\n");
  server.sel.register_fd(fd, tide::Events::read,  // the new connection's read callback
                         [&server, fd](tide::Events mask) { read(server, fd, mask); });
}

tide::Task<void> selectors_server(Server& server, tide::TcpListener& listener) {
  server.sel.register_fd(
      listener.native_handle(), tide::Events::read,
      [&server, &listener](tide::Events mask) { accept(server, listener, mask); });
  co_await server.done.wait();  // the loop runs the callbacks meanwhile
  server.sel.close();
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
  Server server;
  server.clients = options.self_test;
  if (options.self_test == 0) {
    co_await selectors_server(server, listener);  // forever: `done` is never set
    co_return 0;
  }
  tide::TaskGroup group;
  for (int i = 1; i <= options.self_test; ++i)
    group.spawn(client(listener.local_address(), i));
  co_await selectors_server(server, listener);
  co_await group.join();
  std::printf("served %d clients\n", options.self_test);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_selectors_server: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test 3
// Output:
// listening on 127.0.0.1:<int>
// ~ a new connection
// ~ a new connection
// ~ a new connection
// ~ mask: read, data: b'hello from client 1 (1)'
// ~ mask: read, data: b'hello from client 1 (2)'
// ~ mask: read, data: b'hello from client 2 (1)'
// ~ mask: read, data: b'hello from client 2 (2)'
// ~ mask: read, data: b'hello from client 3 (1)'
// ~ mask: read, data: b'hello from client 3 (2)'
// ~ client disconnected
// ~ client disconnected
// ~ client disconnected
// served 3 clients
