// An echo server: every byte a client sends comes back. The seeds' servers (blocking,
// select, poll, epoll, thread per connection) in a few lines of tide, one task (or fibre) per
// connection, buffers lent by the loop's pool only while bytes are in flight.
//
//   echo_server [--host 127.0.0.1] [--port 7000] [--backend auto|io_uring|epoll|poll]
//               [--style task|fiber] [--stack-kib N]
//
// Prints "listening on <address>" once ready (port 0: the kernel picks one); stops accepting
// on SIGINT or SIGTERM, lets connections finish for up to a second, and exits 0.
#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/net/net.hpp>
#include <tide/tide.hpp>

using namespace std::chrono_literals;

namespace {

struct Config {
  std::string host = "127.0.0.1";
  int port = 7000;
  tide::Backend backend = tide::Backend::Auto;
  bool fibres = false;
  std::size_t stack_kib = 0;  // fibre stacks (0: tide's default)
};

Config parse(int argc, char** argv) {
  Config config;
  if (const char* env = std::getenv("TIDE_BACKEND")) config.backend = tide::parse_backend(env);
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--host")
      config.host = value;
    else if (flag == "--port")
      config.port = std::stoi(value);
    else if (flag == "--backend")
      config.backend = tide::parse_backend(value);
    else if (flag == "--stack-kib")
      config.stack_kib = std::stoul(value);
    else if (flag == "--style" && (value == "task" || value == "fiber" || value == "fibre"))
      config.fibres = value != "task";
    else
      throw std::invalid_argument("unknown option " + std::string(flag) + " " + value);
  }
  if (config.port < 0 || config.port > 65535) throw std::invalid_argument("--port: 0 to 65535");
  return config;
}

// A peer that resets or vanishes ends its connection; that is not a server error.
bool peer_went_away(const std::system_error& e) {
  return e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe;
}

tide::Task<void> echo_task(tide::TcpStream& stream) {
  stream.set_nodelay(true);  // small echoes go out at once (as the reference servers do)
  try {
    for (;;) {
      tide::io::Chunk chunk = co_await stream.receive();
      if (chunk.empty()) co_return;
      co_await stream.write_all(chunk.bytes());
    }
  } catch (const std::system_error& e) {
    if (!peer_went_away(e)) throw;
  }
}

void echo_fibre(tide::TcpStream& stream) {
  stream.set_nodelay(true);
  try {
    for (;;) {
      tide::io::Chunk chunk = tide::await(stream.receive());
      if (chunk.empty()) return;
      tide::await(stream.write_all(chunk.bytes()));
    }
  } catch (const std::system_error& e) {
    if (!peer_went_away(e)) throw;
  }
}

// Sets `stop` on SIGINT or SIGTERM (blocked for the process, read from a signalfd).
tide::Task<void> stop_on_signal(int signal_fd, tide::Event& stop) {
  signalfd_siginfo info{};
  co_await tide::io::read(signal_fd, std::as_writable_bytes(std::span(&info, 1)));
  std::fprintf(stderr, "echo_server: %s, shutting down\n",
               ::strsignal(static_cast<int>(info.ssi_signo)));
  stop.set();
}

tide::Task<int> serve(const Config& config, int signal_fd) {
  auto address = tide::SocketAddress::ip(config.host, static_cast<std::uint16_t>(config.port));
  auto listener = tide::TcpListener::bind(address);
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);

  tide::Event stop;
  auto watcher = tide::spawn(stop_on_signal(signal_fd, stop));
  tide::net::ServeOptions options;
  options.max_connections = 1'000'000;
  options.shutdown_grace = 1s;
  if (config.stack_kib > 0) options.fiber.stack_size = config.stack_kib * 1024;
  tide::net::ServeStats stats;
  if (config.fibres)
    co_await tide::net::serve(listener, echo_fibre, options, &stop, &stats);
  else
    co_await tide::net::serve(listener, echo_task, options, &stop, &stats);
  std::fprintf(stderr, "echo_server: served %llu connections (at most %zu at once), %llu failed\n",
               static_cast<unsigned long long>(stats.accepted), stats.peak,
               static_cast<unsigned long long>(stats.failed));
  co_return stats.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  try {
    config = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it
  tide::io::Fd signal_fd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd) {
    std::perror("echo_server: signalfd");
    return 1;
  }
  try {
    tide::Loop::Options options;
    options.backend = config.backend;
    tide::Loop loop(std::move(options));
    return loop.run_until_complete(serve(config, signal_fd.get()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
}
