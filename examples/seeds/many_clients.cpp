// Seed: 004 (多进程、线程、协程、事件驱动及select poll epoll), "我们用客户端模拟同时并发一万去连接
// 服务端": 10,000 sockets connect to an echo server, then for each part of a message every
// socket sends it and every socket reads its echo. Here each connection is a tide task, all
// 10,000 open at once on one loop, and every echo is checked byte for byte. The seed's client
// connects one socket after another with blocking calls; here at most 256 handshakes are in
// flight at a time, so none is dropped from a full accept queue and retried a second later.
//
//   seed_many_clients --port P [--connections N]   against a server already running
//   seed_many_clients --self-test [--connections N]
//
// --self-test forks a server process first (tide tasks: seed_echo_server_tasks' server, made
// to stop after N connections) so the two ends' descriptors are counted in two processes.
// The soft RLIMIT_NOFILE is raised to what N connections need; if the hard limit is lower,
// the program says so and exits 1. N defaults to 10,000.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/core/run.hpp>
#include <tide/core/task_group.hpp>
#include <tide/io/process.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>
#include <tide/sync/barrier.hpp>
#include <tide/sync/semaphore.hpp>

namespace {

struct Options {
  int port = 0;
  bool self_test = false;
  int connections = 10'000;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--self-test") {
      options.self_test = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    const int value = std::stoi(argv[++i]);
    if (flag == "--port" && value > 0 && value <= 65535)
      options.port = value;
    else if (flag == "--connections" && value > 0)
      options.connections = value;
    else
      throw std::invalid_argument("bad option " + std::string(flag) + " " + argv[i] +
                                  " (--port 1..65535, --connections N > 0)");
  }
  if (options.self_test == (options.port != 0))
    throw std::invalid_argument("give either --port P (a running server) or --self-test");
  return options;
}

// Each process holds one descriptor per connection, plus a few of its own (the loop's, stdio,
// the listener, the child's pidfd).
void raise_descriptor_limit(int connections) {
  const rlim_t needed = static_cast<rlim_t>(connections) + 64;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    throw std::system_error(errno, std::generic_category(), "getrlimit(RLIMIT_NOFILE)");
  if (limit.rlim_cur >= needed) return;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
    throw std::runtime_error(
        std::to_string(connections) + " connections need " + std::to_string(needed) +
        " descriptors, but the hard RLIMIT_NOFILE is " + std::to_string(limit.rlim_max) +
        ": raise it (ulimit -Hn as root, LimitNOFILE= for a service) or pass fewer "
        "--connections");
  limit.rlim_cur = needed;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    throw std::system_error(errno, std::generic_category(), "setrlimit(RLIMIT_NOFILE)");
}

// ---- the server process of --self-test ----------------------------------------------------

struct ServerCounts {
  int active = 0;
  int peak = 0;
};

tide::Task<void> echo(tide::TcpStream conn, ServerCounts& counts) {
  counts.peak = std::max(counts.peak, ++counts.active);
  for (;;) {
    tide::io::Chunk data = co_await conn.receive();
    if (data.empty()) break;
    co_await conn.write_all(data.bytes());
  }
  --counts.active;
}

// Serves `connections` connections, each as a task, and returns once all have ended.
tide::Task<int> server(tide::TcpListener& listener, int connections) {
  ServerCounts counts;
  tide::TaskGroup group;
  for (int i = 0; i < connections; ++i)
    group.spawn(echo(co_await listener.accept(), counts));
  co_await group.join();
  std::printf("server: served %d connections, at most %d at once\n", connections, counts.peak);
  std::fflush(stdout);
  co_return 0;
}

// ---- the clients ---------------------------------------------------------------------------

constexpr std::string_view messages[] = {"This is the message. ", "It will be sent ", "in parts."};

struct Clients {
  explicit Clients(std::size_t n) : round(n) {}
  tide::Semaphore handshakes{256};  // connects in flight
  tide::Barrier round;              // the seed's lockstep: everyone finishes a round first
  int open = 0;
  int peak_open = 0;
};

void report(std::string_view what) {
  std::printf("%.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stdout);  // before the server process prints
}

// [guide:many-clients]
tide::Task<void> client(tide::SocketAddress address, Clients& clients) {
  tide::TcpStream sock;
  {
    auto slot = co_await clients.handshakes.scoped_acquire();
    sock = co_await tide::TcpStream::connect(address);
  }
  clients.peak_open = std::max(clients.peak_open, ++clients.open);
  if (co_await clients.round.wait() == clients.round.parties() - 1)
    report(std::to_string(clients.peak_open) + " connections open at once");
  for (std::size_t r = 0; r < std::size(messages); ++r) {
    co_await sock.write_all(messages[r]);
    std::string data(messages[r].size(), '\0');
    co_await sock.read_exact(std::as_writable_bytes(std::span(data)));
    if (data != messages[r]) throw std::runtime_error("wrong echo: '" + data + "'");
    if (co_await clients.round.wait() == clients.round.parties() - 1)
      report("round " + std::to_string(r + 1) + ": " + std::to_string(clients.open) +
             " echoes of b'" + std::string(messages[r]) + "' checked");
  }
  --clients.open;
}
// [guide-end]

tide::Task<int> run(Options options) {
  raise_descriptor_limit(options.connections);
  const auto start = std::chrono::steady_clock::now();
  tide::SocketAddress address =
      tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port));
  std::optional<tide::Process> server_process;
  if (options.self_test) {
    auto listener = tide::TcpListener::bind(tide::SocketAddress::loopback(0));
    address = listener.local_address();
    server_process = tide::Process::start(
        {.daemon = true}, [&listener, &options] { return server(listener, options.connections); });
  }  // the listener is the server process's now; this one closes here
  std::printf("%d clients connecting to %s\n", options.connections, address.to_string().c_str());
  std::fflush(stdout);

  Clients clients(static_cast<std::size_t>(options.connections));
  tide::TaskGroup group;
  for (int i = 0; i < options.connections; ++i)
    group.spawn(client(address, clients));
  co_await group.join();  // the first failure cancels the rest and is rethrown (the server
                          // process, a daemon, is then killed with its Process object)
  if (options.self_test) {
    const int status = co_await server_process->wait();
    if (status != 0)
      throw std::runtime_error("the server process exited with " + std::to_string(status));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("all %d echoes intact, in %.2f s\n",
              options.connections * static_cast<int>(std::size(messages)), seconds);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_many_clients: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test --connections 10000
// Output:
// 10000 clients connecting to 127.0.0.1:<int>
// 10000 connections open at once
// round 1: 10000 echoes of b'This is the message. ' checked
// round 2: 10000 echoes of b'It will be sent ' checked
// round 3: 10000 echoes of b'in parts.' checked
// server: served 10000 connections, at most 10000 at once
// all 30000 echoes intact, in <num> s
