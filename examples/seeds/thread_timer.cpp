// Seed: 003, the threading table: "Time 与Thread相似,只是
// 他要等待一段时间后才开始运行" (threading.Timer: like a Thread that starts after a delay, and
// cancel() stops it before then); the seeds name it without a program. threading.Timer(d, f)
// becomes tide::Timer, a callback run on the loop after the delay; a task would simply sleep
// first. The callbacks run in deadline order, and a cancelled one never runs.
#include <chrono>
#include <cstdio>

#include <tide/core/loop.hpp>
#include <tide/core/timer.hpp>

using namespace std::chrono_literals;

int main() {
  tide::Loop loop;
  // [guide:thread-timer]
  tide::Timer hello(loop);
  hello.start(20ms, [] { std::printf("hello, world\n"); });  // Timer(0.02, hello).start()
  tide::Timer first(loop);
  first.start(10ms, [] { std::printf("the 10 ms timer\n"); });
  tide::Timer never(loop);
  never.start(15ms, [] { std::printf("cancelled: never printed\n"); });
  never.cancel();  // t.cancel()
  // [guide-end]
  std::printf("timers started\n");
  loop.run();  // returns once no timer is left
  std::printf("done\n");
  return 0;
}

// Output:
// timers started
// the 10 ms timer
// hello, world
// done
