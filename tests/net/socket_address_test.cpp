// SocketAddress: parsed from and printed as text, built from parts; bad text named in the error.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include <tide/net/socket_address.hpp>

using tide::net::SocketAddress;
using Family = SocketAddress::Family;

namespace {

void expect_round_trip(const std::string& text, Family family) {
  const SocketAddress a = SocketAddress::parse(text);
  EXPECT_EQ(a.family(), family) << text;
  EXPECT_EQ(a.to_string(), text);
  EXPECT_EQ(SocketAddress::parse(a.to_string()), a);
}

std::string error_of(const std::string& text) {
  try {
    (void)SocketAddress::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(SocketAddress, ParsesAndPrintsEachFamily) {
  expect_round_trip("127.0.0.1:8080", Family::ipv4);
  expect_round_trip("0.0.0.0:0", Family::ipv4);
  expect_round_trip("[::1]:443", Family::ipv6);
  expect_round_trip("[fe80::1%1]:22", Family::ipv6);
  expect_round_trip("/tmp/tide.sock", Family::unix_path);
  expect_round_trip("@tide-abstract", Family::unix_path);
}

TEST(SocketAddress, PartsAndBuilders) {
  const auto a = SocketAddress::parse("10.1.2.3:65535");
  EXPECT_EQ(a.host(), "10.1.2.3");
  EXPECT_EQ(a.port(), 65535);
  EXPECT_TRUE(a.is_ip());
  EXPECT_EQ(a.with_port(80).to_string(), "10.1.2.3:80");
  EXPECT_EQ(SocketAddress::loopback(7).to_string(), "127.0.0.1:7");
  EXPECT_EQ(SocketAddress::loopback(7, Family::ipv6).to_string(), "[::1]:7");
  EXPECT_EQ(SocketAddress::any(9).to_string(), "0.0.0.0:9");
  EXPECT_EQ(SocketAddress::any(9, Family::ipv6).to_string(), "[::]:9");
  EXPECT_EQ(SocketAddress::ip("::1", 5), SocketAddress::parse("[::1]:5"));
  EXPECT_NE(SocketAddress::loopback(1), SocketAddress::loopback(2));
  EXPECT_EQ(SocketAddress().family(), Family::none);
  EXPECT_EQ(SocketAddress().to_string(), "(none)");
  const auto path = SocketAddress::unix_path("/run/x.sock");
  EXPECT_EQ(path.host(), "/run/x.sock");
  EXPECT_EQ(path.port(), 0);
  EXPECT_FALSE(path.is_ip());
  std::ostringstream out;
  out << a;
  EXPECT_EQ(out.str(), "10.1.2.3:65535");
}

TEST(SocketAddress, BadTextIsNamedWithWhatIsWrong) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1").find("no port"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:99999").find("0 to 65535"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:http").find("\"127.0.0.1:http\""), std::string::npos);
  EXPECT_NE(error_of("localhost:80").find("resolve"), std::string::npos);
  EXPECT_NE(error_of("::1:80").find("[host]:port"), std::string::npos);
  EXPECT_NE(error_of("[::1]80").find("[host]:port"), std::string::npos);
  EXPECT_NE(error_of("/" + std::string(200, 'x')).find("107 bytes"), std::string::npos);
  EXPECT_THROW((void)SocketAddress::unix_path("/a").with_port(1), std::invalid_argument);
  EXPECT_THROW((void)SocketAddress::loopback(1, Family::unix_path), std::invalid_argument);
}
