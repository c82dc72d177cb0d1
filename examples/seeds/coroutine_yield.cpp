// Seed: 002 (Python-并发编程), "协程" (原理): func1 is a generator that does a little work and
// yields; func2 does its own little work and resumes func1 with next(g), 100,000 times; the
// seed prints how long that took: switching between two routines of one thread, with no
// scheduler, is cheap. A generator's yield/next becomes two greenlets switching explicitly
// (tide::Greenlet, typed switches carrying no value). The time depends on the machine.
#include <chrono>
#include <cstdio>

#include <tide/core/greenlet.hpp>

int main() {
  const auto start = std::chrono::steady_clock::now();
  // [guide:coroutine-yield]
  long resumed = 0;
  tide::Greenlet& main_greenlet = tide::Greenlet::current();
  tide::Greenlet func1([&] {  // def func1(): while True: 10000 + 1; yield
    for (;;) {
      ++resumed;
      main_greenlet.switch_to<void>();  // yield
    }
  });
  for (int i = 0; i < 100000; ++i)  // def func2(): for i in range(100000): i + 1; next(g)
    func1.switch_to<void>();
  // [guide-end]
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f\n", took);
  std::printf("func1 resumed %ld times\n", resumed);
  return 0;  // destroying func1 unwinds its stack (GreenletExit)
}

// Output:
// <num>
// func1 resumed 100000 times
