#include <tide/io/pipe.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/timeout.hpp>

#include "test_loop.hpp"

namespace {

using namespace std::chrono_literals;
using tide::Task;
using tide::io::Pipe;

std::string as_string(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

TEST(Pipe, WriteThenReadReturnsTheBytes) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    co_await pipe.write_all("hello");
    std::array<std::byte, 16> buf{};
    std::size_t n = co_await pipe.read(buf);
    EXPECT_EQ(as_string(std::span(buf).first(n)), "hello");
  });
}

TEST(Pipe, ReadWaitsForAWriterTask) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    auto writer = tide::spawn([](Pipe& p) -> Task<void> {
      co_await tide::sleep_for(2ms);
      co_await p.write_all("late");
    }(pipe));
    std::array<std::byte, 16> buf{};
    std::size_t n = co_await pipe.read(buf);
    EXPECT_EQ(as_string(std::span(buf).first(n)), "late");
    co_await writer;
  });
}

TEST(Pipe, ReadReturnsZeroAtEndOfFile) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    co_await pipe.write_all("x");
    pipe.close_write();
    std::array<std::byte, 4> buf{};
    EXPECT_EQ(co_await pipe.read(buf), 1u);
    EXPECT_EQ(co_await pipe.read(buf), 0u);
  });
}

TEST(Pipe, LargeTransferFlowsThroughAFullPipe) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    std::vector<std::byte> data(4 << 20);
    for (std::size_t i = 0; i < data.size(); ++i)
      data[i] = std::byte(i * 31 % 251);
    auto writer = tide::spawn([](Pipe& p, std::vector<std::byte>& d) -> Task<void> {
      co_await p.write_all(d);
      p.close_write();
    }(pipe, data));
    std::vector<std::byte> received(data.size());
    co_await pipe.read_exact(received);
    EXPECT_EQ(received, data);
    co_await writer;
  });
}

TEST(Pipe, WriteToAClosedReadEndFailsWithEpipe) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    pipe.close_read();
    try {
      (void)co_await pipe.write("x");
      ADD_FAILURE() << "write succeeded";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EPIPE);
      EXPECT_NE(std::string(e.what()).find("write to fd"), std::string::npos) << e.what();
    }
  });
}

TEST(Pipe, ReadExactReportsAnEarlyEnd) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    co_await pipe.write_all("abc");
    pipe.close_write();
    std::array<std::byte, 10> buf{};
    EXPECT_THROW(co_await pipe.read_exact(buf), std::runtime_error);
  });
}

TEST(Pipe, CancellingABlockedReadRemovesItFromTheBackend) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    auto reader = tide::spawn([](Pipe& p) -> Task<void> {
      std::array<std::byte, 8> buf{};
      (void)co_await p.read(buf);
      ADD_FAILURE() << "the read completed";
    }(pipe));
    co_await tide::sleep_for(1ms);
    EXPECT_EQ(tide::Loop::current().stats().pending_io, 1u);
    reader.cancel();
    EXPECT_THROW(co_await reader, tide::Cancelled);
    EXPECT_EQ(tide::Loop::current().stats().pending_io, 0u);
    // The cancelled read consumed nothing: the next reader gets all of it.
    co_await pipe.write_all("kept");
    std::array<std::byte, 8> buf{};
    std::size_t n = co_await pipe.read(buf);
    EXPECT_EQ(as_string(std::span(buf).first(n)), "kept");
  });
}

TEST(Pipe, TimeoutOnAReadCancelsIt) {
  tide::testing::run_clean([]() -> Task<void> {
    Pipe pipe;
    std::array<std::byte, 8> buf{};
    EXPECT_THROW((void)co_await tide::timeout(2ms, pipe.read(buf)), tide::TimeoutError);
    EXPECT_EQ(tide::Loop::current().stats().pending_io, 0u);
  });
}

TEST(Pipe, DestroyingTheLoopWithABlockedReadLeaksNothing) {
  int fds_before = tide::testing::open_fd_count();
  {
    tide::Loop loop;
    auto pipe = std::make_unique<Pipe>();
    loop.spawn([](Pipe& p) -> Task<void> {
          std::array<std::byte, 8> buf{};
          (void)co_await p.read(buf);
        }(*pipe))
        .detach();
    loop.run_once(0ms);
    EXPECT_EQ(loop.stats().pending_io, 1u);
  }
  EXPECT_EQ(tide::testing::open_fd_count(), fds_before);
}

TEST(Pipe, ManyConcurrentReadersEachGetTheirMessage) {
  tide::testing::run_clean([]() -> Task<void> {
    std::vector<std::unique_ptr<Pipe>> pipes;
    std::vector<tide::JoinHandle<std::string>> readers;
    for (int i = 0; i < 200; ++i) {
      pipes.push_back(std::make_unique<Pipe>());
      readers.push_back(tide::spawn([](Pipe& p) -> Task<std::string> {
        std::array<std::byte, 16> buf{};
        std::size_t n = co_await p.read(buf);
        co_return as_string(std::span(buf).first(n));
      }(*pipes.back())));
    }
    co_await tide::sleep_for(1ms);
    for (int i = 199; i >= 0; --i)
      co_await pipes[i]->write_all(std::to_string(i));
    for (int i = 0; i < 200; ++i)
      EXPECT_EQ(co_await readers[i], std::to_string(i));
  });
}

}  // namespace
