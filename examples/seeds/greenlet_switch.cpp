// Seed: 003, "协程示例": two greenlets switch to each other explicitly,
// printing 12 56 34 78. tide::Greenlet is greenlet's switch without a loop; with a loop, use
// fibres (seed gevent_spawn.cpp).
#include <cstdio>

#include <tide/core/greenlet.hpp>

int main() {
  // [guide:greenlet-switch]
  tide::Greenlet* gr2 = nullptr;
  tide::Greenlet gr1([&] {
    std::printf("12\n");
    gr2->switch_to();
    std::printf("34\n");
    gr2->switch_to();
  });
  tide::Greenlet test2([&] {
    std::printf("56\n");
    gr1.switch_to();
    std::printf("78\n");
  });
  gr2 = &test2;
  gr1.switch_to();
  // [guide-end]
  return 0;
}

// Output:
// 12
// 56
// 34
// 78
