// Seed: 002 (Python-并发编程), "互斥锁": ten users each check the tickets left (search) and then
// buy one (buy: read the count, pause, write it back). Without a lock every user may read
// the same count and the tickets are oversold; the seed's fix takes a Lock around buy.
// The seed keeps the count in data.json; here it is a tide::SharedValue<int> (Python's
// multiprocessing.Value) and the lock a tide::ProcessLock. The random 1-3 s pause is 1-3 ms.
// Who gets a ticket depends on timing; that exactly 3 are sold does not.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_lock.hpp>
#include <tide/io/shared_value.hpp>

using namespace std::chrono_literals;

// [guide:ticket-sale]
void search(int i, tide::SharedValue<int>& tickets) {
  std::printf("用户%d查询余票%d\n", i, tickets.atomic().load());
}

void buy(int i, tide::SharedValue<int>& tickets) {
  const int left = *tickets;  // read ...
  tide::sleep((i % 3 + 1) * 1ms);
  if (left > 0) {
    *tickets = left - 1;  // ... and write back: only safe under the lock
    std::printf("用户%d买票成功\n", i);
  } else {
    std::printf("用户%d买票失败\n", i);
  }
}

void run(int i, tide::SharedValue<int>& tickets, tide::ProcessLock& mutex) {
  search(i, tickets);
  tide::await(mutex.lock());  // mutex.acquire()
  buy(i, tickets);
  mutex.unlock();
}

tide::Task<int> amain() {
  tide::SharedValue<int> tickets(3);
  tide::ProcessLock mutex;
  std::vector<tide::Process> users;
  for (int i = 1; i <= 10; ++i)
    users.push_back(tide::Process::start(run, i, tickets, mutex));
  for (auto& p : users)
    co_await p.wait();
  std::printf("tickets left: %d\n", *tickets);
  co_return 0;
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>查询余票<int>
// ~ 用户<int>买票成功
// ~ 用户<int>买票成功
// ~ 用户<int>买票成功
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// ~ 用户<int>买票失败
// tickets left: 0
