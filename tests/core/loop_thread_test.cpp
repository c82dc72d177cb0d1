// A loop belongs to the thread that runs it, wherever it was built or is destroyed: closing an
// fd on that thread reaches its backend, and no thread keeps a pointer to a loop that died.
#include <tide/core/loop.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <memory>
#include <system_error>
#include <thread>

#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/pipe.hpp>

namespace {

using namespace std::chrono_literals;
using tide::Task;

// A reader waits on a pipe; then the loop's own task closes the pipe's read end. The read must
// end with EBADF: it can only if the close reached this loop's backend. (The timeout turns a
// lost close, which would wait forever, into a failure.)
Task<int> read_while_the_fd_is_closed() {
  tide::io::Pipe pipe;
  auto reader = tide::spawn([](tide::io::Pipe& p) -> Task<int> {
    std::array<std::byte, 8> buffer{};
    try {
      (void)co_await p.read(buffer);
      co_return 0;
    } catch (const std::system_error& e) {
      co_return e.code().value();
    }
  }(pipe));
  // Any sleep makes the loop go idle once with the read pending, which takes it through the
  // I/O phase: the read is then in the backend (on io_uring: in the kernel) before the close.
  co_await tide::sleep_for(1ms);
  pipe.close_read();
  co_return co_await tide::timeout(10s, std::move(reader));
}

TEST(LoopThread, BuiltOnOneThreadRunAndDestroyedOnAnotherHearsOfItsClosedFds) {
  auto loop = std::make_unique<tide::Loop>();  // built here
  int error = 0;
  std::thread runner([&] {
    try {
      error = loop->run_until_complete(read_while_the_fd_is_closed());
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
    loop.reset();  // destroyed there
  });
  runner.join();
  EXPECT_EQ(error, EBADF);
  // This thread never ran it: closing an fd here touches no loop (ASan: no dangling pointer).
  tide::io::Pipe().close_read();
}

TEST(LoopThread, RunsOnAfterTheThreadThatBuiltItHasExited) {
  std::unique_ptr<tide::Loop> loop;
  std::thread builder([&] { loop = std::make_unique<tide::Loop>(); });
  builder.join();
  EXPECT_EQ(loop->run_until_complete(read_while_the_fd_is_closed()), EBADF);
  loop.reset();
}

TEST(LoopThread, ALoopThatRanHereAndDiedElsewhereLeavesNoDanglingPointerHere) {
  auto loop = std::make_unique<tide::Loop>();
  EXPECT_EQ(loop->run_until_complete(read_while_the_fd_is_closed()), EBADF);  // runs here
  std::thread destroyer([&] { loop.reset(); });
  destroyer.join();
  // This thread's list of loops must no longer hold it (ASan reports a use after free if so).
  tide::io::Pipe().close_read();
  // A new loop here still hears of closes.
  tide::Loop next;
  EXPECT_EQ(next.run_until_complete(read_while_the_fd_is_closed()), EBADF);
}

}  // namespace
