// Seed: 002 (Python-并发编程), "协程" / "gevent" (no program there; issue 17 asks for
// gevent.pool.Pool): a pool of size 2 runs at most two greenlets at once; pool.map runs a
// function over items with that concurrency and returns the results in order, pool.spawn
// waits for a free slot, pool.join waits for all. It becomes tide::FiberPool, used here from
// main outside the loop (the waits run the loop, as gevent's hub does for the main greenlet).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/fiber_pool.hpp>
#include <tide/core/loop.hpp>

using namespace std::chrono_literals;

int main() {
  tide::Loop loop;
  // [guide:gevent-pool]
  tide::FiberPool pool(loop, 2);  // pool = Pool(2)
  std::size_t most_running = 0;
  auto hello_from = [&](int n) {
    most_running = std::max(most_running, pool.running());
    std::printf("hello from %d\n", n);
    tide::sleep(5ms);
    return n * n;
  };
  const std::vector<int> squares = pool.map(hello_from, std::vector<int>{0, 1, 2, 3, 4, 5});
  // [guide-end]
  for (std::size_t i = 0; i < squares.size(); ++i)
    std::printf("%s%d", i == 0 ? "" : " ", squares[i]);
  std::printf("\nat most %zu running at once\n", most_running);

  for (int n = 6; n < 9; ++n)
    pool.spawn(hello_from, n);  // waits (running the loop) while both slots are taken
  pool.join();
  std::printf("joined; at most %zu running at once\n", most_running);
  return 0;
}

// Output:
// hello from 0
// hello from 1
// hello from 2
// hello from 3
// hello from 4
// hello from 5
// 0 1 4 9 16 25
// at most 2 running at once
// hello from 6
// hello from 7
// hello from 8
// joined; at most 2 running at once
