// Reference echo server: Boost.Asio 1.81 with C++20 coroutines, the Asio anchor of the echo
// benchmark.
//
// Tuning: written the way Asio's own coroutine examples are, with nothing taken away: one thread
// running an io_context made with concurrency hint 1; an accept loop and one coroutine per
// connection (co_spawn, use_awaitable) that reads into a 16 KiB buffer in its own frame
// (the team's measurements: 58 MiB at 10,000 connections with this layout) and writes
// what it read back with async_write. TCP_NODELAY on every connection, as in the other servers.
//
// Usage: echo_asio [--host 127.0.0.1] [--port 0]
// Prints `listening on <host>:<port>` once ready; exits 0 on SIGINT or SIGTERM.
#include <boost/asio.hpp>

#include <csignal>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> echo(tcp::socket socket) {
  std::array<char, 16 * 1024> buffer;
  try {
    for (;;) {
      std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      co_await asio::async_write(socket, asio::buffer(buffer.data(), n), asio::use_awaitable);
    }
  } catch (const boost::system::system_error&) {
    // EOF or a reset ends the connection; the socket closes with the frame.
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--host 127.0.0.1] [--port 0]\n", argv[0]);
      return 2;
    }
  }

  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context context{1};
  tcp::endpoint endpoint{asio::ip::make_address(host), port};
  tcp::acceptor acceptor{context};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(4096);
  std::printf("listening on %s:%u\n", host.c_str(), acceptor.local_endpoint().port());
  std::fflush(stdout);

  asio::signal_set signals{context, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code&, int) { context.stop(); });
  // An accept error (EMFILE) ends the loop and stops the server with it: Asio's own examples do
  // the same, and the benchmark never runs out of descriptors.
  asio::co_spawn(context, accept_loop(acceptor), [&](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  context.run();
  return 0;
}
