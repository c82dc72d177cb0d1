// Seed: 002 (Python-并发编程), "协程" / "gevent" (no program there; issue 17 asks for
// gevent's Timeout): `with gevent.Timeout(seconds):` raises gevent.Timeout in the greenlet if
// the block is still running when the time is up. It becomes tide::Timeout, a scope in a
// fibre that raises tide::TimeoutError at the fibre's wait; a block that finishes in time
// disarms it.
#include <chrono>
#include <cstdio>

#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/fiber_timeout.hpp>
#include <tide/core/loop.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:gevent-timeout]
void wait(std::chrono::milliseconds work, std::chrono::milliseconds limit) {
  try {
    tide::Timeout timeout(limit);  // with gevent.Timeout(limit):
    tide::sleep(work);             //     gevent.sleep(work)
    std::printf("completed in time\n");
  } catch (const tide::TimeoutError&) {  // except gevent.Timeout:
    std::printf("Could not complete\n");
  }
}
// [guide-end]

}  // namespace

int main() {
  tide::Loop loop;
  auto slow = tide::spawn_fiber(loop, wait, 1000ms, 20ms);
  slow.join();
  auto quick = tide::spawn_fiber(loop, wait, 5ms, 1000ms);
  quick.join();
  // gevent.joinall(greenlets, timeout=...): how many finished within the time.
  auto sleeper = tide::spawn_fiber(loop, [] { tide::sleep(1000ms); });
  const std::size_t finished = tide::joinall({sleeper}, 20ms);
  std::printf("joinall with a 20 ms timeout: %zu of 1 finished\n", finished);
  sleeper.kill();  // gevent.kill(greenlet)
  tide::joinall({sleeper});
  std::printf("killed: %s\n", sleeper.killed() ? "yes" : "no");
  return 0;
}

// Output:
// Could not complete
// completed in time
// joinall with a 20 ms timeout: 0 of 1 finished
// killed: yes
