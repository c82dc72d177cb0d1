// gevent-style code on tide: plain blocking-looking functions, run concurrently as fibres on
// one thread. The Python it mirrors:
//
//     def worker(n):
//         gevent.sleep(0.01 * n); return n * n
//     jobs = [gevent.spawn(worker, n) for n in range(5)]
//     gevent.joinall(jobs)
//     with gevent.Timeout(0.005): gevent.sleep(1)      # raises Timeout
//     Pool(2).map(worker, [3, 1, 2])
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tide/tide.hpp>

using namespace std::chrono_literals;

int worker(int n) {
  tide::sleep(n * 10ms);  // suspends only this fibre
  return n * n;
}

int main() {
  tide::Loop loop;

  // Five fibres sleep concurrently; joinall runs the loop until they are all done.
  std::vector<tide::Fiber<int>> jobs;
  for (int n = 0; n < 5; ++n)
    jobs.push_back(tide::spawn_fiber(loop, worker, n));
  tide::joinall(jobs);
  int sum = 0;
  for (auto& job : jobs)
    sum += job.join();
  std::printf("sum of squares: %d\n", sum);

  // A fibre with a deadline, a pool, and a pipe read through the tide::await bridge.
  auto main_fibre = tide::spawn_fiber(loop, [] {
    bool timed_out = false;
    try {
      tide::Timeout limit(5ms);
      tide::sleep(1s);
    } catch (const tide::TimeoutError&) {
      timed_out = true;
    }
    std::printf("timed out: %s\n", timed_out ? "yes" : "no");

    tide::FiberPool pool(2);
    std::vector<int> squares = pool.map(worker, std::vector<int>{3, 1, 2});
    std::printf("pool.map: %d %d %d\n", squares[0], squares[1], squares[2]);

    tide::io::Pipe pipe;
    auto writer = tide::spawn_fiber([&pipe] { tide::await(pipe.write_all("ping")); });
    char buffer[16];
    std::size_t n = tide::await(pipe.read(std::span<char>(buffer)));
    writer.join();
    std::printf("read from the pipe: %s\n", std::string(buffer, n).c_str());
    return timed_out && squares == std::vector<int>{9, 1, 4} && std::string(buffer, n) == "ping";
  });
  return sum == 30 && main_fibre.join() ? 0 : 1;
}
