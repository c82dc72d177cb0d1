// Seed: 004 (多进程、线程、协程...), "所以我们需要改成进程": the Queue is passed to the child,
// which prints id(q) before and after putting a list; the parent prints its own id(q), then the
// list. Python's ids differ because the child's queue is a rebuilt copy. A forked child's
// copy sits at the same address as the parent's object (fork copies the address space), and
// its descriptors refer to the same socket, which is why the list arrives. A Python list
// [11, None, "hello"] is a tuple with an optional here.
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using List = std::tuple<int, std::optional<int>, std::string>;

void f(tide::ProcessQueue<List>& q) {
  std::printf("222 %p\n", static_cast<void*>(&q));
  tide::await(q.put(List{11, std::nullopt, "hello"}));
  std::printf("333 %p\n", static_cast<void*>(&q));
}

tide::Task<int> amain() {
  // [guide:queue-copy]
  tide::ProcessQueue<List> q;
  std::printf("111 %p\n", static_cast<void*>(&q));
  auto p = tide::Process::start(f, q);
  std::printf("444 %p\n", static_cast<void*>(&q));
  const List l = co_await q.get();
  std::printf("[%d, None, '%s']\n", std::get<0>(l), std::get<2>(l).c_str());
  // [guide-end]
  co_return co_await p.wait();
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// 111 <word>
// ~ 444 <word>
// ~ 222 <word>
// ~ 333 <word>
// ~ [11, None, 'hello']
