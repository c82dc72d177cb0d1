// Seed: 002 (Python-并发编程), "守护进程": a daemon child (p.daemon = True) ends with its parent,
// so "jack is dying", three seconds later, is never printed. In tide a daemon child is
// killed when its Process object goes (and, through PR_SET_PDEATHSIG, if the parent dies).
// The seed's parent may end before the child even starts; here the child says it is alive
// over a Channel first, so the output is the same on every run.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

tide::Task<int> amain() {
  auto ends = tide::Channel::one_way();  // (named ends: clang 14 cannot capture bindings)
  tide::Channel& alive_reader = ends.first;
  tide::Channel& alive_writer = ends.second;
  // [guide:process-daemon]
  auto p = tide::Process::start(
      {.daemon = true},
      [&](std::string name) {
        std::printf("%s is alive\n", name.c_str());
        std::fflush(stdout);
        tide::await(alive_writer.send(true));
        tide::sleep(3s);
        std::printf("%s is dying\n", name.c_str());  // never printed
      },
      std::string("jack"));
  co_await alive_reader.recv<bool>();
  std::printf("main over\n");
  co_return 0;  // p is destroyed: the daemon child is killed and reaped
  // [guide-end]
}

int main() {
  return tide::run(amain());
}

// Output:
// jack is alive
// main over
