// tide's main demo: 100,000 tasks that sleep on timers and hand values along 1,000 chains.
// Each task sleeps a random 0-20 ms, then awaits the task before it in its chain and passes on
// that value plus its own id. The program checks every chain's sum and reports the rates.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <tide/tide.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int chains = 1'000;
constexpr int chain_length = 100;

tide::Task<long> link(long id, std::chrono::microseconds nap, tide::JoinHandle<long> previous) {
  co_await tide::sleep_for(nap);
  long before = previous.valid() ? co_await previous : 0;
  co_return before + id;
}

tide::Task<int> demo() {
  std::mt19937 random(2026);
  std::uniform_int_distribution<int> nap_us(0, 20'000);
  const auto start = Clock::now();

  std::vector<tide::JoinHandle<long>> tails;
  tails.reserve(chains);
  for (int c = 0; c < chains; ++c) {
    tide::JoinHandle<long> previous;
    for (int k = 0; k < chain_length; ++k) {
      long id = static_cast<long>(c) * chain_length + k;
      previous =
          tide::spawn(link(id, std::chrono::microseconds(nap_us(random)), std::move(previous)));
    }
    tails.push_back(std::move(previous));
  }
  const auto spawned = Clock::now();

  long total = 0;
  int wrong = 0;
  for (int c = 0; c < chains; ++c) {
    long first = static_cast<long>(c) * chain_length;
    long expected = chain_length * first + chain_length * (chain_length - 1) / 2;
    long got = co_await tails[c];
    total += got;
    if (got != expected) ++wrong;
  }
  const auto done = Clock::now();

  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const int tasks = chains * chain_length;
  std::printf("tide demo on the %s backend\n",
              std::string(tide::Loop::current().backend_name()).c_str());
  std::printf("  spawned %d tasks in %.1f ms (%.0f tasks/s)\n", tasks, ms(spawned - start),
              tasks / (ms(spawned - start) / 1000.0));
  std::printf("  %d timers fired and %d values passed along %d chains in %.1f ms\n", tasks,
              tasks - chains, chains, ms(done - start));
  std::printf("  (the longest sleep is 20 ms: the rest is scheduling %d tasks, %.2f us each)\n",
              tasks, ms(done - start) * 1000.0 / tasks);
  std::printf("  sum of all values %ld, chains with a wrong sum: %d\n", total, wrong);
  co_return wrong == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main() {
  return tide::run(demo());
}
