// io::Acceptor on every backend: each connection is accepted once, in order, by one of the
// waiting tasks; cancellation and destruction lose or leak nothing.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/io/acceptor.hpp>
#include <tide/io/ops.hpp>

#include "sockets.hpp"
#include "test_loop.hpp"

namespace {

using tide::Task;
using tide::io::Acceptor;
using tide::io::Fd;
using tide::testing::connect_loopback;
using tide::testing::listen_loopback;
using tide::testing::run_clean;

// Reads the one byte each test client sends first, to tell connections apart.
Task<char> first_byte(const Fd& fd) {
  char c = 0;
  std::size_t n = co_await tide::io::recv(fd.get(), std::as_writable_bytes(std::span(&c, 1)));
  co_return n == 1 ? c : '?';
}

TEST(Acceptor, AcceptsEachConnectionOnceInOrder) {
  run_clean([]() -> Task<void> {
    auto listener = listen_loopback();
    Acceptor acceptor(listener.fd.get());
    std::vector<Fd> clients;
    for (int i = 0; i < 50; ++i) {
      clients.push_back(connect_loopback(listener.port));
      char c = static_cast<char>('A' + i);
      tide::testing::send_blocking(clients.back().get(), &c, 1);
    }
    std::string order;
    for (int i = 0; i < 50; ++i) {
      Fd conn = co_await acceptor.accept();
      EXPECT_TRUE(conn.valid());
      order += co_await first_byte(conn);
    }
    std::string expected;
    for (int i = 0; i < 50; ++i)
      expected += static_cast<char>('A' + i);
    EXPECT_EQ(order, expected);
  });
}

TEST(Acceptor, EachWaitingTaskGetsItsOwnConnection) {
  run_clean([]() -> Task<void> {
    auto listener = listen_loopback();
    Acceptor acceptor(listener.fd.get());
    std::vector<tide::JoinHandle<Fd>> waiting;
    for (int i = 0; i < 5; ++i)
      waiting.push_back(
          tide::spawn([](Acceptor& a) -> Task<Fd> { co_return co_await a.accept(); }(acceptor)));
    co_await tide::yield_now();  // all five wait before anyone connects
    std::vector<Fd> clients;
    for (int i = 0; i < 5; ++i)
      clients.push_back(connect_loopback(listener.port));
    std::vector<Fd> conns;  // kept open until the end, so numbers stay distinct
    std::vector<int> fds;
    for (auto& w : waiting) {
      conns.push_back(co_await w);
      fds.push_back(conns.back().get());
      EXPECT_TRUE(conns.back().valid());
    }
    std::sort(fds.begin(), fds.end());
    EXPECT_EQ(std::unique(fds.begin(), fds.end()), fds.end());
  });
}

TEST(Acceptor, ACancelledAcceptLeavesTheConnectionForTheNext) {
  run_clean([]() -> Task<void> {
    auto listener = listen_loopback();
    Acceptor acceptor(listener.fd.get());
    auto waiting =
        tide::spawn([](Acceptor& a) -> Task<void> { (void)co_await a.accept(); }(acceptor));
    co_await tide::yield_now();
    waiting.cancel();
    bool cancelled = false;
    try {
      co_await waiting;
    } catch (const tide::Cancelled&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    Fd client = connect_loopback(listener.port);
    tide::testing::send_blocking(client.get(), "Z", 1);
    Fd conn = co_await acceptor.accept();
    EXPECT_EQ(co_await first_byte(conn), 'Z');
  });
}

TEST(Acceptor, DestroyingItClosesUnclaimedConnections) {
  run_clean([]() -> Task<void> {
    auto listener = listen_loopback();
    std::vector<Fd> clients;
    {
      Acceptor acceptor(listener.fd.get());
      for (int i = 0; i < 10; ++i)
        clients.push_back(connect_loopback(listener.port));
      Fd first = co_await acceptor.accept();  // with multishot, the others queue up
      for (int i = 0; i < 5; ++i)
        co_await tide::yield_now();
    }
    // run_clean checks that no fd is left open once the clients are gone as well.
    co_return;
  });
}

TEST(Acceptor, ErrorsNameTheOperationAndFd) {
  run_clean([]() -> Task<void> {
    Fd not_listening(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    Acceptor acceptor(not_listening.get());
    int code = 0;
    std::string what;
    try {
      (void)co_await acceptor.accept();
    } catch (const std::system_error& e) {
      code = e.code().value();
      what = e.what();
    }
    EXPECT_EQ(code, EINVAL);
    EXPECT_NE(what.find("accept on fd " + std::to_string(not_listening.get())), std::string::npos)
        << what;
  });
}

TEST(Acceptor, BadArgumentsAreRefused) {
  EXPECT_THROW(Acceptor(3), tide::UsageError);  // no loop running
  run_clean([]() -> Task<void> {
    EXPECT_THROW(Acceptor(0, 0), std::invalid_argument);
    co_return;
  });
}

}  // namespace
