#include <tide/io/fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <system_error>

#include "test_loop.hpp"

namespace {

TEST(Fd, ClosesOnDestruction) {
  int before = tide::testing::open_fd_count();
  int raw = -1;
  {
    tide::io::Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
    EXPECT_EQ(tide::testing::open_fd_count(), before + 1);
  }
  EXPECT_EQ(tide::testing::open_fd_count(), before);
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST(Fd, MoveTransfersOwnership) {
  tide::io::Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.get();
  tide::io::Fd b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.get(), raw);
  int released = b.release();
  EXPECT_FALSE(b.valid());
  EXPECT_EQ(::close(released), 0);
}

TEST(Fd, DupGivesAnIndependentDescriptor) {
  tide::io::Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  tide::io::Fd b = a.dup();
  EXPECT_NE(a.get(), b.get());
  a.close();
  EXPECT_NE(::fcntl(b.get(), F_GETFD), -1);
}

TEST(Fd, ErrorsNameTheFd) {
  tide::io::Fd bad(1 << 20);  // not open
  try {
    (void)bad.dup();
    ADD_FAILURE() << "dup of a closed fd succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF);
    EXPECT_NE(std::string(e.what()).find(std::to_string(1 << 20)), std::string::npos);
  }
  (void)bad.release();
}

}  // namespace
