// The smallest tide program: a task that sleeps, spawns another, and awaits its result.
#include <chrono>
#include <cstdio>

#include <tide/tide.hpp>

using namespace std::chrono_literals;

// [guide:hello]
tide::Task<int> answer() {
  co_await tide::sleep_for(10ms);
  co_return 42;
}

tide::Task<int> main_task() {
  auto handle = tide::spawn(answer());
  int value = co_await handle;
  std::printf("the answer is %d\n", value);
  co_return value == 42 ? 0 : 1;
}

int main() {
  return tide::run(main_task());
}
// [guide-end]
