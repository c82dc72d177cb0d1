// Peers and helpers the net tests share. Peers are plain tasks (spawned from tasks and fibres
// alike); the side under test is written in dual style (dual.hpp).
#pragma once

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/net/net.hpp>

namespace tide::testing {

using net::ShutdownHow;
using net::SocketAddress;
using net::TcpListener;
using net::TcpStream;

/// Lets the loop turn `n` times (other tasks run, pending operations start): synchronises on
/// the loop, not on time.
inline Task<void> turns(int n) {
  for (int i = 0; i < n; ++i)
    co_await tide::sleep_for(std::chrono::nanoseconds(0));
}

/// Cancels a spawned task and waits until it has ended (however it ended).
template <class T>
Task<void> cancel_and_join(JoinHandle<T>& task) {
  task.cancel();
  try {
    co_await task;
  } catch (...) {
  }
}

/// `n` bytes that differ from position to position, so misplaced bytes are caught.
inline std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
  return s;
}

/// A connected pair on 127.0.0.1: (the connecting end, the accepted end).
inline Task<std::pair<TcpStream, TcpStream>> tcp_pair() {
  auto listener = TcpListener::bind(SocketAddress::loopback(0));
  auto accepting = tide::spawn(listener.accept());
  TcpStream connected = co_await TcpStream::connect(listener.local_address());
  TcpStream accepted = co_await accepting;
  co_return std::pair{std::move(connected), std::move(accepted)};
}

/// Accepts one connection, echoes it until the peer shuts down, returns the peer's address.
inline Task<SocketAddress> echo_once(TcpListener& listener) {
  TcpStream stream = co_await listener.accept();
  const SocketAddress peer = stream.peer_address();
  std::byte buffer[4096];
  for (;;) {
    const std::size_t n = co_await stream.read_some(buffer);
    if (n == 0) break;
    co_await stream.write_all(std::span(buffer, n));
  }
  co_return peer;
}

inline Task<TcpStream> accept_one(TcpListener& listener) {
  co_return co_await listener.accept();
}

/// `stream.read_some(buffer)` as a task of its own (to spawn it).
inline Task<std::size_t> read_some_of(net::StreamSocket& stream, std::span<std::byte> buffer) {
  co_return co_await stream.read_some(buffer);
}

/// Everything until the end of the stream.
inline Task<std::string> read_all(net::StreamSocket& stream) {
  std::string out;
  std::byte buffer[8192];
  for (;;) {
    const std::size_t n = co_await stream.read_some(buffer);
    if (n == 0) co_return out;
    out.append(reinterpret_cast<const char*>(buffer), n);
  }
}

inline Task<void> write_then_close(TcpStream stream, std::string data) {
  co_await stream.write_all(data);
  stream.close();
}

/// Closes with a reset (SO_LINGER 0): the peer sees ECONNRESET.
inline void reset(net::StreamSocket& stream) {
  linger l{1, 0};
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  stream.close();
}

/// Waits in read_some until the stream is closed under it; counts how often it ended.
inline Task<void> read_expecting_ebadf(net::StreamSocket& stream, int& ended) {
  std::byte buffer[16];
  try {
    co_await stream.read_some(buffer);
    ADD_FAILURE() << "the read returned data";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor) << e.what();
  }
  ++ended;
}

inline bool has_ipv6_loopback() {
  try {
    auto fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    auto address = SocketAddress::loopback(0, SocketAddress::Family::ipv6);
    const bool ok = ::bind(fd, static_cast<const sockaddr*>(address.data()), address.size()) == 0;
    ::close(fd);
    return ok;
  } catch (...) {
    return false;
  }
}

}  // namespace tide::testing
