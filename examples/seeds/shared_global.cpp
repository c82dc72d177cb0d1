// Seed: 000 (多任务编程), "threading模块创建线程", 实例3: one thread writes a global, another
// reads it: threads share their process's globals ("data = write"). As tasks on one loop the
// writer, started first, runs first; as real threads (on the loop's thread pool) the reader
// waits for the writer's result, which the seed leaves to luck.
#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>

namespace {

std::string data;  // data = ''

tide::Task<void> write() {
  data = "write";
  co_return;
}

tide::Task<void> read() {
  std::printf("data = %s\n", data.c_str());
  co_return;
}

tide::Task<void> main_task() {
  // [guide:shared-global]
  auto t1 = tide::spawn(write());
  auto t2 = tide::spawn(read());
  co_await t1;
  co_await t2;
  // [guide-end]

  // The same with real threads: the write runs on another thread, and awaiting it orders it
  // before the read (no lock needed for a value handed over this way).
  data.clear();
  co_await tide::to_thread([] { data = "write from a pool thread"; });
  co_await tide::to_thread([] { std::printf("data = %s\n", data.c_str()); });
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// data = write
// data = write from a pool thread
