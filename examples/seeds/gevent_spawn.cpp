// Seed: 002 (Python-并发编程), "协程" / "gevent": the heading has no program, so this is the
// usual gevent one. Greenlets started with gevent.spawn run when the current one waits;
// gevent.sleep(0) just lets the others run, and after monkey.patch_all() time.sleep waits the
// same way, so three sleepers overlap: a0 b0 c0 a1 ..., not a0 a1 a2 b0 .... gevent.spawn
// becomes tide::spawn_fiber on a loop, gevent.sleep / the patched time.sleep become
// tide::sleep inside a fibre (tide patches nothing: a fibre calls tide's waits directly), and
// gevent.joinall becomes tide::joinall, which runs the loop until the fibres are done.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/fiber.hpp>
#include <tide/core/loop.hpp>

using namespace std::chrono_literals;

namespace {

void foo() {
  std::printf("Running in foo\n");
  tide::sleep(0ms);  // gevent.sleep(0)
  std::printf("Explicit context switch to foo again\n");
}

void bar() {
  std::printf("Explicit context to bar\n");
  tide::sleep(0ms);
  std::printf("Implicit context switch back to bar\n");
}

// [guide:gevent-spawn]
void task(char name) {
  for (int i = 0; i < 3; ++i) {
    std::printf("%c%d\n", name, i);
    tide::sleep(10ms);  // time.sleep(0.01), patched by monkey.patch_all()
  }
}
// [guide-end]

}  // namespace

int main() {
  tide::Loop loop;
  tide::joinall({tide::spawn_fiber(loop, foo), tide::spawn_fiber(loop, bar)});

  // [guide:gevent-joinall]
  std::vector<tide::Fiber<void>> fibres;
  for (char name : {'a', 'b', 'c'})
    fibres.push_back(tide::spawn_fiber(loop, task, name));  // gevent.spawn(task, name)
  tide::joinall(fibres);                                    // gevent.joinall(...)
  // [guide-end]
  std::printf("joined\n");
  return 0;
}

// Output:
// Running in foo
// Explicit context to bar
// Explicit context switch to foo again
// Implicit context switch back to bar
// a0
// b0
// c0
// a1
// b1
// c1
// a2
// b2
// c2
// joined
