// Seed: 004 (多进程、线程、协程...), "进程同步，即进程锁": ten processes share one Lock and print
// around it; the lock keeps one process at a time between acquire and release (the seed
// uses it to keep their lines on the shared screen apart). multiprocessing.Lock is
// tide::ProcessLock, made before the children start; a child, running as a fibre, waits
// with tide::await(lock.lock()). Which process goes first depends on timing.
#include <cstdio>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_lock.hpp>

// [guide:process-lock]
void f(tide::ProcessLock& l, int i) {
  std::printf("this is process %d acquire lock.\n", i);
  tide::await(l.lock());
  std::printf("this is process %d.\n", i);
  l.unlock();
  std::printf("this is process %d release lock.\n================\n", i);
}

tide::Task<int> amain() {
  tide::ProcessLock lock;
  std::vector<tide::Process> children;
  for (int num = 0; num < 10; ++num)
    children.push_back(tide::Process::start(f, lock, num));
  int failed = 0;
  for (auto& p : children)
    failed += co_await p.wait() != 0;
  std::printf("lock free at the end: %s\n", lock.locked() ? "no" : "yes");
  co_return failed;
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ this is process 0 acquire lock.
// ~ this is process 0.
// ~ this is process 0 release lock.
// ~ ================
// ~ this is process 1 acquire lock.
// ~ this is process 1.
// ~ this is process 1 release lock.
// ~ ================
// ~ this is process 2 acquire lock.
// ~ this is process 2.
// ~ this is process 2 release lock.
// ~ ================
// ~ this is process 3 acquire lock.
// ~ this is process 3.
// ~ this is process 3 release lock.
// ~ ================
// ~ this is process 4 acquire lock.
// ~ this is process 4.
// ~ this is process 4 release lock.
// ~ ================
// ~ this is process 5 acquire lock.
// ~ this is process 5.
// ~ this is process 5 release lock.
// ~ ================
// ~ this is process 6 acquire lock.
// ~ this is process 6.
// ~ this is process 6 release lock.
// ~ ================
// ~ this is process 7 acquire lock.
// ~ this is process 7.
// ~ this is process 7 release lock.
// ~ ================
// ~ this is process 8 acquire lock.
// ~ this is process 8.
// ~ this is process 8 release lock.
// ~ ================
// ~ this is process 9 acquire lock.
// ~ this is process 9.
// ~ this is process 9 release lock.
// ~ ================
// lock free at the end: yes
