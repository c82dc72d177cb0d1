// Seed: 003 (IO多路复用 ... python的进程), "进程锁示例": twenty processes each take the lock, set
// temp[0] = 100 + i in a shared Array('i', [11, 22, 33, 44]) and print the whole array.
// multiprocessing.Array is tide::SharedArray<int>, which comes with its own ProcessLock
// (get_lock()). The seed's RLock is taken once per process, so that plain lock serves: tide
// has no process-shared recursive lock. Under the lock each child's four lines come out
// together; which child goes first depends on timing.
#include <cstdio>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/shared_array.hpp>

// [guide:rlock-array]
void foo(tide::SharedArray<int>& temp, int i) {
  auto guard = tide::await(temp.get_lock().scoped_lock());  // lock.acquire() ... release()
  temp[0] = 100 + i;
  for (int item : temp)
    std::printf("%d -----> %d\n", i, item);
}

tide::Task<int> amain() {
  tide::SharedArray<int> temp{11, 22, 33, 44};
  std::vector<tide::Process> children;
  for (int i = 0; i < 20; ++i)
    children.push_back(tide::Process::start(foo, temp, i));
  for (auto& p : children)
    co_await p.wait();
  std::printf("temp = [%d, %d, %d, %d]\n", temp[0], temp[1], temp[2], temp[3]);
  co_return 0;
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ 0 -----> 100
// ~ 0 -----> 22
// ~ 0 -----> 33
// ~ 0 -----> 44
// ~ 1 -----> 101
// ~ 1 -----> 22
// ~ 1 -----> 33
// ~ 1 -----> 44
// ~ 2 -----> 102
// ~ 2 -----> 22
// ~ 2 -----> 33
// ~ 2 -----> 44
// ~ 3 -----> 103
// ~ 3 -----> 22
// ~ 3 -----> 33
// ~ 3 -----> 44
// ~ 4 -----> 104
// ~ 4 -----> 22
// ~ 4 -----> 33
// ~ 4 -----> 44
// ~ 5 -----> 105
// ~ 5 -----> 22
// ~ 5 -----> 33
// ~ 5 -----> 44
// ~ 6 -----> 106
// ~ 6 -----> 22
// ~ 6 -----> 33
// ~ 6 -----> 44
// ~ 7 -----> 107
// ~ 7 -----> 22
// ~ 7 -----> 33
// ~ 7 -----> 44
// ~ 8 -----> 108
// ~ 8 -----> 22
// ~ 8 -----> 33
// ~ 8 -----> 44
// ~ 9 -----> 109
// ~ 9 -----> 22
// ~ 9 -----> 33
// ~ 9 -----> 44
// ~ 10 -----> 110
// ~ 10 -----> 22
// ~ 10 -----> 33
// ~ 10 -----> 44
// ~ 11 -----> 111
// ~ 11 -----> 22
// ~ 11 -----> 33
// ~ 11 -----> 44
// ~ 12 -----> 112
// ~ 12 -----> 22
// ~ 12 -----> 33
// ~ 12 -----> 44
// ~ 13 -----> 113
// ~ 13 -----> 22
// ~ 13 -----> 33
// ~ 13 -----> 44
// ~ 14 -----> 114
// ~ 14 -----> 22
// ~ 14 -----> 33
// ~ 14 -----> 44
// ~ 15 -----> 115
// ~ 15 -----> 22
// ~ 15 -----> 33
// ~ 15 -----> 44
// ~ 16 -----> 116
// ~ 16 -----> 22
// ~ 16 -----> 33
// ~ 16 -----> 44
// ~ 17 -----> 117
// ~ 17 -----> 22
// ~ 17 -----> 33
// ~ 17 -----> 44
// ~ 18 -----> 118
// ~ 18 -----> 22
// ~ 18 -----> 33
// ~ 18 -----> 44
// ~ 19 -----> 119
// ~ 19 -----> 22
// ~ 19 -----> 33
// ~ 19 -----> 44
// temp = [<int>, 22, 33, 44]
