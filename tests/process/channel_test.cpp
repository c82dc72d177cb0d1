// tide::Channel: framing (any size, whole messages, in order), EOF as ChannelClosed, a frame
// cut short as ChannelError, one-way ends, turns between concurrent senders, cancellation and
// timeouts; from tasks and fibres, in one process and across fork.
#include <tide/io/channel.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include <tide/core/errors.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/process.hpp>

#include "styles.hpp"
#include "support/require.hpp"
#include "test_loop.hpp"

using namespace std::chrono_literals;

namespace {

using tide::Task;
using tide::testing::run_clean;
using tide::testing::settle;

template <class Style>
class ChannelTest : public ::testing::Test {};
using Styles = ::testing::Types<tide::testing::Tasks, tide::testing::Fibres>;
TYPED_TEST_SUITE(ChannelTest, Styles, tide::testing::StyleNames);

// A message of `n` bytes whose content depends on `seed` and the position (so an
// interleaving or a shifted frame shows).
std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
  return s;
}

TYPED_TEST(ChannelTest, CarriesValuesBothWaysInOrder) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    // (named: g++ 12 rejects an initializer list's array inside a coroutine expression)
    const std::vector<int> numbers = {1, 2, 3};
    co_await a.send(numbers);
    co_await a.send(std::string("two"));
    auto got = TypeParam::start([&b] { return b.recv<std::vector<int>>(); });
    EXPECT_EQ(co_await got, numbers);
    auto second = TypeParam::start([&b] { return b.recv<std::string>(); });
    EXPECT_EQ(co_await second, std::string("two"));
    std::map<std::string, int> reply;
    reply["num"] = 20;
    auto sent = TypeParam::start([&b, &reply] { return b.send(reply); });
    co_await sent;
    EXPECT_EQ((co_await a.recv<std::map<std::string, int>>()), reply);
  });
}

TYPED_TEST(ChannelTest, ARecvWaitsForTheMessage) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    auto getter = TypeParam::start([&b] { return b.recv<int>(); });
    co_await settle();
    EXPECT_FALSE(getter.done());
    co_await a.send(42);
    EXPECT_EQ(co_await getter, 42);
  });
}

// 4 MiB in one message, received while it is being sent (far more than a socket buffer), and
// 1,000 small messages that arrive together: each comes out whole, alone, in order.
TYPED_TEST(ChannelTest, MessagesOfAnySizeArriveWhole) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    const std::string big = pattern(4 << 20, 'a');
    auto sender = TypeParam::start([&a, &big] { return a.send_bytes(big); });
    EXPECT_EQ(co_await b.recv_bytes(), big);
    co_await sender;
    // (sent by a party of its own: 1,000 small sends can fill the socket's buffer, which
    // counts each message's kernel overhead)
    auto small = TypeParam::start([&a]() -> Task<void> {
      for (int i = 0; i < 1000; ++i)
        co_await a.send(i);
      co_await a.send_bytes("");  // an empty message is a message too
    });
    for (int i = 0; i < 1000; ++i)
      EXPECT_EQ(co_await b.recv<int>(), i);
    EXPECT_EQ(co_await b.recv_bytes(), std::string(""));
    co_await small;
  });
}

TYPED_TEST(ChannelTest, RecvRaisesChannelClosedOnceThePeerIsClosedAndDrained) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    co_await a.send(1);
    co_await a.send(2);
    a.close();
    EXPECT_EQ(co_await b.recv<int>(), 1);
    EXPECT_EQ(co_await b.recv<int>(), 2);
    auto third = TypeParam::start([&b] { return b.recv<int>(); });
    EXPECT_THROW(co_await third, tide::ChannelClosed);
    // A waiting recv is woken by the close too.
    auto c_d = tide::Channel::pair();
    tide::Channel& c = c_d.first;
    tide::Channel& d = c_d.second;
    auto waiting = TypeParam::start([&d] { return d.recv<int>(); });
    co_await settle();
    c.close();
    EXPECT_THROW(co_await waiting, tide::ChannelClosed);
  });
}

TYPED_TEST(ChannelTest, AFrameCutShortIsAChannelErrorNotATruncatedValue) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    // A header announcing 100 bytes, 10 of them, then the end: what a sender that died in
    // the middle of a message leaves.
    std::string raw(8, '\0');
    const std::uint64_t length = 100;
    std::memcpy(raw.data(), &length, sizeof length);
    raw += "0123456789";
    EXPECT_EQ(::write(a.fd(), raw.data(), raw.size()), static_cast<ssize_t>(raw.size()));
    a.close();
    auto got = TypeParam::start([&b] { return b.recv_bytes(); });
    try {
      (void)co_await got;
      ADD_FAILURE() << "no error";
    } catch (const tide::ChannelError& e) {
      EXPECT_NE(std::string(e.what()).find("10 of 100 bytes"), std::string::npos) << e.what();
    }
    // Half a header likewise.
    auto c_d = tide::Channel::pair();
    tide::Channel& c = c_d.first;
    tide::Channel& d = c_d.second;
    EXPECT_EQ(::write(c.fd(), "abc", 3), 3);
    c.close();
    EXPECT_THROW(co_await d.recv_bytes(), tide::ChannelError);
  });
}

TYPED_TEST(ChannelTest, AMessageOfTheWrongTypeIsACodecErrorAndIsConsumed) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    co_await a.send(std::string("hello"));
    co_await a.send(7);
    auto wrong = TypeParam::start([&b] { return b.recv<int>(); });
    EXPECT_THROW(co_await wrong, tide::io::CodecError);
    EXPECT_EQ(co_await b.recv<int>(), 7);
  });
}

TYPED_TEST(ChannelTest, OneWayEndsOnlyReadOrOnlyWrite) {
  run_clean([]() -> Task<void> {
    auto reader_writer = tide::Channel::one_way();
    tide::Channel& reader = reader_writer.first;
    tide::Channel& writer = reader_writer.second;
    EXPECT_TRUE(reader.readable());
    EXPECT_FALSE(reader.writable());
    EXPECT_TRUE(writer.writable());
    EXPECT_FALSE(writer.readable());
    auto sent = TypeParam::start([&writer] { return writer.send(std::string("one way")); });
    co_await sent;
    EXPECT_EQ(co_await reader.recv<std::string>(), std::string("one way"));
    EXPECT_THROW(co_await reader.send(1), tide::UsageError);
    EXPECT_THROW(co_await writer.recv<int>(), tide::UsageError);
    // The reader gone, a send is EPIPE (and no SIGPIPE kills the test).
    reader.close();
    try {
      co_await writer.send(std::string(1 << 20, 'x'));
      ADD_FAILURE() << "send to a closed reader succeeded";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EPIPE) << e.what();
    }
    writer.close();
    EXPECT_THROW(co_await writer.send(1), tide::UsageError);  // closed
  });
}

// Two senders of 1 MiB each at once (each needs many writes): without turns their bytes would
// interleave and the receiver would get garbage.
TYPED_TEST(ChannelTest, ConcurrentSendersTakeTurnsWithWholeMessages) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    const std::string one = pattern(1 << 20, 'A');
    const std::string two = pattern(1 << 20, 'a');
    auto first = TypeParam::start([&a, &one] { return a.send_bytes(one); });
    auto second = TypeParam::start([&a, &two] { return a.send_bytes(two); });
    co_await settle();
    EXPECT_EQ(co_await b.recv_bytes(), one);
    EXPECT_EQ(co_await b.recv_bytes(), two);
    co_await first;
    co_await second;
    // Concurrent receivers likewise each get one whole message, in the order they asked.
    auto r1 = TypeParam::start([&b] { return b.recv_bytes(); });
    auto r2 = TypeParam::start([&b] { return b.recv_bytes(); });
    co_await settle();
    co_await a.send_bytes(two);
    co_await a.send_bytes(one);
    EXPECT_EQ(co_await r1, two);
    EXPECT_EQ(co_await r2, one);
  });
}

// A recv cancelled or timed out, even in the middle of a message, loses nothing.
TYPED_TEST(ChannelTest, ACancelledOrTimedOutRecvLosesNothing) {
  run_clean([]() -> Task<void> {
    auto a_b = tide::Channel::pair();
    tide::Channel& a = a_b.first;
    tide::Channel& b = a_b.second;
    auto getter = TypeParam::start([&b] { return b.recv<int>(); });
    co_await settle();
    TypeParam::stop(getter);
    EXPECT_THROW(co_await getter, tide::Cancelled);
    EXPECT_THROW(co_await tide::timeout(1ms, b.recv<int>()), tide::TimeoutError);
    // Half of a message, then a timeout, then the rest.
    const std::string message = pattern(1000, 'm');
    std::string frame(8, '\0');
    const std::uint64_t length = message.size();
    std::memcpy(frame.data(), &length, sizeof length);
    frame += message;
    EXPECT_EQ(::write(a.fd(), frame.data(), 500), 500);
    EXPECT_THROW(co_await tide::timeout(1ms, b.recv_bytes()), tide::TimeoutError);
    EXPECT_EQ(::write(a.fd(), frame.data() + 500, frame.size() - 500),
              static_cast<ssize_t>(frame.size() - 500));
    auto rest = TypeParam::start([&b] { return b.recv_bytes(); });
    EXPECT_EQ(co_await rest, message);
    co_await a.send(5);
    EXPECT_EQ(co_await b.recv<int>(), 5);
  });
}

// A send cancelled after part of its message went out would leave the peer a stream it
// cannot split into messages: later sends on that end refuse with ChannelError.
TYPED_TEST(ChannelTest, ASendCancelledMidMessageBreaksTheChannelForSending) {
  run_clean([]() -> Task<void> {
    auto ends = tide::Channel::pair();
    tide::Channel& a = ends.first;
    const std::string big = pattern(8 << 20, 'z');  // far more than the socket buffer holds
    auto sender = TypeParam::start([&a, &big] { return a.send_bytes(big); });
    (void)co_await tide::io::wait_ready(ends.second.fd(), POLLIN);  // part of it is out
    co_await settle();
    EXPECT_FALSE(sender.done());
    TypeParam::stop(sender);
    EXPECT_THROW(co_await sender, tide::Cancelled);
    EXPECT_THROW(co_await a.send(1), tide::ChannelError);
  });
}

// The peer process dies in the middle of a message: the parent's recv fails with
// ChannelError (never a truncated value), after the whole messages before it.
TEST(ChannelAcrossFork, APeerThatDiesMidMessageGivesChannelError) {
  run_clean([]() -> Task<void> {
    auto parent_end_child_end = tide::Channel::pair();
    tide::Channel& parent_end = parent_end_child_end.first;
    tide::Channel& child_end = parent_end_child_end.second;
    auto child = tide::Process::start([&]() -> Task<void> {
      parent_end.close();
      co_await child_end.send(std::string("whole"));
      std::string frame(8, '\0');
      const std::uint64_t length = 1 << 20;
      std::memcpy(frame.data(), &length, sizeof length);
      frame += "only the start";
      tide::testing::require(
          ::write(child_end.fd(), frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()),
          "write");
      ::_exit(0);  // dies mid-message
    });
    child_end.close();
    EXPECT_EQ(co_await parent_end.recv<std::string>(), std::string("whole"));
    EXPECT_THROW(co_await parent_end.recv_bytes(), tide::ChannelError);
    EXPECT_EQ(co_await child.wait(), 0);
  });
}

// A child that exits with messages of ours unread (its socket then resets ours) still reads
// as "closed" at the parent, after the messages it sent.
TEST(ChannelAcrossFork, APeerThatExitsWithUnreadDataReadsAsClosed) {
  run_clean([]() -> Task<void> {
    auto parent_end_child_end = tide::Channel::pair();
    tide::Channel& parent_end = parent_end_child_end.first;
    tide::Channel& child_end = parent_end_child_end.second;
    co_await parent_end.send(std::string("never read"));
    auto child = tide::Process::start([&] {  // a fibre
      parent_end.close();
      tide::await(child_end.send(1));
    });
    child_end.close();
    EXPECT_EQ(co_await child.wait(), 0);
    EXPECT_EQ(co_await parent_end.recv<int>(), 1);
    EXPECT_THROW(co_await parent_end.recv<int>(), tide::ChannelClosed);
  });
}

}  // namespace
