// What the seed servers share (examples/seeds/*_server.cpp): their command line and the
// peer helper. Not part of a seed: the Python programs hard-code their address.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tide/net/tcp_stream.hpp>

namespace seeds {

/// `--port P` (0: the kernel picks; 127.0.0.1 only) and `--self-test N` (N clients of the
/// program's own against itself, then a summary; 0: serve until killed).
struct Options {
  int port = 0;
  int self_test = 0;
};

inline Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    const int value = std::stoi(argv[++i]);
    if (flag == "--port" && value >= 0 && value <= 65535)
      options.port = value;
    else if (flag == "--self-test" && value > 0)
      options.self_test = value;
    else
      throw std::invalid_argument("bad option " + std::string(flag) + " " + argv[i] +
                                  " (--port 0..65535, --self-test N > 0)");
  }
  return options;
}

/// The peer's address as text; a client that reset the connection at once has none left.
inline std::string peer_of(const tide::TcpStream& conn) {
  try {
    return conn.peer_address().to_string();
  } catch (const std::system_error&) {
    return "(a client that has gone)";
  }
}

}  // namespace seeds
