// Seed: 002 (Python-并发编程), "创建进程的两种方式", the second: a subclass of Process overrides
// run(); start() runs it in a child. tide::Process is not meant to be subclassed: it starts
// any callable, so the class below is the seed's shape in a few lines, with start() handing
// its own run() to tide::Process::start. (In the child, `this` is the fork's copy of the
// object.) The seed's 1 s is 10 ms here.
#include <chrono>
#include <cstdio>
#include <optional>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>

using namespace std::chrono_literals;

// [guide:process-subclass]
class ProcessBase {
 public:
  virtual ~ProcessBase() = default;
  void start() {
    process_.emplace(tide::Process::start([this] { run(); }));
  }
  [[nodiscard]] tide::Task<int> join() { return process_->wait(); }

 protected:
  virtual void run() = 0;  // runs in the child, as a fibre

 private:
  std::optional<tide::Process> process_;
};

class MyProcess : public ProcessBase {
  void run() override {
    std::printf("begin\n");
    tide::sleep(10ms);
    std::printf("over\n");
  }
};
// [guide-end]

tide::Task<int> amain() {
  MyProcess p;
  p.start();
  std::printf("main\n");
  co_return co_await p.join();
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ main
// ~ begin
// ~ over
