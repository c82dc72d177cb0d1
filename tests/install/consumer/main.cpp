#include <chrono>
#include <cstdio>

#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/io/pipe.hpp>
#include <tide/tide.hpp>

tide::Task<int> consume() {
  co_await tide::sleep_for(std::chrono::milliseconds(1));
  tide::io::Pipe pipe;
  co_await pipe.write_all("ok");
  char buf[2];
  co_return static_cast<int>(co_await pipe.read(std::span(buf)));
}

int main() {
  int n = tide::run(consume());
  std::printf("read %d bytes\n", n);
  return n == 2 ? 0 : 1;
}
