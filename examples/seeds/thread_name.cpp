// Seed: 002 (Python-并发编程), "线程对象属性及其方法": a thread and main print os.getpid() and
// current_thread().name: the same pid, names Thread-1 and MainThread. A task's name is the one
// given to spawn, read back with tide::current::name(); a task shares the loop's thread as
// well as its process.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include <tide/core/current.hpp>
#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/thread_pool.hpp>

namespace {

const std::thread::id main_thread = std::this_thread::get_id();
pid_t son_pid = 0;

tide::Task<void> task() {
  son_pid = getpid();
  std::printf("son:%d\n", static_cast<int>(son_pid));
  std::printf("son:%s\n", std::string(tide::current::name()).c_str());
  std::printf("son on the main thread: %s\n",
              std::this_thread::get_id() == main_thread ? "yes" : "no");
  co_return;
}

tide::Task<void> main_task() {
  // [guide:thread-name]
  tide::current::set_name("MainThread");
  auto t = tide::spawn(task(), "Thread-1");
  std::printf("main:%d\n", static_cast<int>(getpid()));
  std::printf("main:%s\n", std::string(tide::current::name()).c_str());
  co_await t;
  // [guide-end]
  std::printf("son and main share a pid: %s\n", son_pid == getpid() ? "yes" : "no");
  // A real thread from the pool: same process, another thread.
  const bool other = co_await tide::to_thread([] {
    std::printf("pool thread:%d\n", static_cast<int>(getpid()));
    return std::this_thread::get_id() != main_thread;
  });
  std::printf("pool thread is another thread: %s\n", other ? "yes" : "no");
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// main:<int>
// main:MainThread
// son:<int>
// son:Thread-1
// son on the main thread: yes
// son and main share a pid: yes
// pool thread:<int>
// pool thread is another thread: yes
