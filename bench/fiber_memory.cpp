// Resident memory per idle fibre: starts N fibres that block in tide::sleep, and reports how
// much the process's resident set grew, per fibre. Usage: fiber_memory COUNT [unguarded]
// Prints one JSON line: {"fibres": N, "guarded": true, "bytes_per_fibre": B}.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>

namespace {

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s COUNT [unguarded]\n", argv[0]);
    return 2;
  }
  const long count = std::atol(argv[1]);
  tide::FiberOptions options;
  options.guarded = !(argc > 2 && std::strcmp(argv[2], "unguarded") == 0);

  tide::Loop loop;
  std::vector<tide::Fiber<void>> fibres;
  fibres.reserve(static_cast<std::size_t>(count));
  // Warm the allocators up with one fibre, so the figure is the fibres' own.
  tide::spawn_fiber(loop, options, [] {}).join();
  const long before = resident_bytes();
  for (long i = 0; i < count; ++i)
    fibres.push_back(tide::spawn_fiber(loop, options, [] { tide::sleep(1h); }));
  loop.run_once(std::chrono::nanoseconds::zero());  // every fibre runs up to its sleep
  const long after = resident_bytes();
  std::printf("{\"fibres\": %ld, \"guarded\": %s, \"bytes_per_fibre\": %.0f}\n", count,
              options.guarded ? "true" : "false",
              static_cast<double>(after - before) / static_cast<double>(count));
  for (auto& f : fibres)
    f.kill();
  (void)tide::joinall(fibres);
  return 0;
}
