// Seed: 001 (IO多路复用), "myclient.py", the client of its select and poll servers: it sends
// each line typed on stdin and prints the server's reply; an empty line ends it. input()
// blocks, and a tide loop must not: the line is read on the loop's thread pool
// (tide::to_thread), the socket is awaited on the loop.
//
//   seed_myclient --port P      talk to a server on 127.0.0.1:P (seed_select_server, ...)
//   seed_myclient --self-test   start 001's server as a task on the same loop (it replies
//                               b'I have receive' to each message) and type three lines into
//                               our own stdin: "hello", "tide" and an empty one.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/core/run.hpp>
#include <tide/core/thread_pool.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>

namespace {

struct Options {
  int port = 0;
  bool self_test = false;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--self-test") {
      options.self_test = true;
    } else if (flag == "--port" && i + 1 < argc) {
      options.port = std::stoi(argv[++i]);
      if (options.port <= 0 || options.port > 65535)
        throw std::invalid_argument("--port: 1 to 65535");
    } else {
      throw std::invalid_argument("unknown option " + std::string(flag));
    }
  }
  if (options.self_test == (options.port != 0))
    throw std::invalid_argument("give either --port P or --self-test");
  return options;
}

// [guide:myclient]
tide::Task<void> myclient(tide::SocketAddress address) {
  tide::TcpStream st = co_await tide::TcpStream::connect(address);
  for (;;) {
    std::string sdata;
    const bool got = co_await tide::to_thread([&sdata] {  // input()
      return static_cast<bool>(std::getline(std::cin, sdata));
    });
    if (!got || sdata.empty()) break;
    co_await st.write_all(sdata);  // st.send(sdata.encode())
    char data[1024];
    const std::size_t n = co_await st.read_some(std::as_writable_bytes(std::span(data)));
    if (n == 0) break;  // the server hung up
    std::printf("%.*s\n", static_cast<int>(n), data);
    std::fflush(stdout);
  }
}  // st.close()
// [guide-end]

// 001's server in tide's own style, for --self-test: one connection, a reply per message.
tide::Task<void> server(tide::TcpListener& listener) {
  tide::TcpStream conn = co_await listener.accept();
  const tide::SocketAddress peer = conn.peer_address();
  std::byte data[1024];
  while (const std::size_t n = co_await conn.read_some(data)) {
    std::printf("server: ('%s', %u) : %.*s\n", peer.host().c_str(), unsigned{peer.port()},
                static_cast<int>(n), reinterpret_cast<const char*>(data));
    std::fflush(stdout);
    co_await conn.write_all("I have receive");
  }
  std::printf("server: the client hung up\n");
}

// Makes `text` what the program reads on stdin.
void type_into_stdin(std::string_view text) {
  int ends[2];
  if (::pipe(ends) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  // A pipe holds 64 KiB: writing a few bytes before anyone reads cannot block.
  if (::write(ends[1], text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::system_error(errno, std::generic_category(), "write to the stdin pipe");
  ::close(ends[1]);
  if (::dup2(ends[0], STDIN_FILENO) < 0)
    throw std::system_error(errno, std::generic_category(), "dup2");
  ::close(ends[0]);
}

tide::Task<int> run(Options options) {
  if (!options.self_test) {
    co_await myclient(tide::SocketAddress::loopback(static_cast<std::uint16_t>(options.port)));
    co_return 0;
  }
  type_into_stdin("hello\ntide\n\n");
  auto listener = tide::TcpListener::bind(tide::SocketAddress::loopback(0));
  auto serving = tide::spawn(server(listener));
  co_await myclient(listener.local_address());
  co_await serving;
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return tide::run(run(parse(argc, argv)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seed_myclient: %s\n", e.what());
    return 1;
  }
}

// Test arguments: --self-test
// Output:
// server: ('127.0.0.1', <int>) : hello
// I have receive
// server: ('127.0.0.1', <int>) : tide
// I have receive
// server: the client hung up
