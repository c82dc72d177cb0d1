// Seed: 003 (IO多路复用 ... python的进程), "Queue队列": a child puts "Hello World" on a Queue made
// by the parent, which prints what it gets. tide::ProcessQueue<T> is made before the child is
// started; the child runs as a fibre (tide::await), the parent as a task (co_await).
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

void offer(tide::ProcessQueue<std::string>& queue) {
  tide::await(queue.put("Hello World"));
}

tide::Task<int> amain() {
  // [guide:queue-put-get]
  tide::ProcessQueue<std::string> q;
  auto p = tide::Process::start(offer, q);
  std::printf("%s\n", (co_await q.get()).c_str());
  // [guide-end]
  co_return co_await p.wait();
}

int main() {
  return tide::run(amain());
}

// Output:
// Hello World
