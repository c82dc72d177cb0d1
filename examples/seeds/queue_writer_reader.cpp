// Seed: 003 (IO多路复用 ... python的进程), "进程间共享数据": a writer puts A, B, C on a Queue with
// random pauses, a reader loops forever getting them; the parent joins the writer and then
// terminates the reader ("死循环,无法等待其结束,只能强行终止"). The seed may terminate the reader
// before it has printed C; here the reader marks each item done and the parent awaits
// q.join() (Python's JoinableQueue) before terminate(), so every run prints all six lines.
// The random pauses are fixed at a few ms.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using namespace std::chrono_literals;

void writer(tide::ProcessQueue<std::string>& q) {
  int pause = 1;
  for (const char* value : {"A", "B", "C"}) {
    std::printf("Put %s to queue...\n", value);
    tide::await(q.put(value));
    tide::sleep(pause++ * 2ms);
  }
}

void reader(tide::ProcessQueue<std::string>& q) {
  for (;;) {
    const std::string value = tide::await(q.get());
    std::printf("Get %s from queue.\n", value.c_str());
    q.task_done();
  }
}

tide::Task<int> amain() {
  // [guide:queue-writer-reader]
  tide::ProcessQueue<std::string> q;
  auto pw = tide::Process::start(writer, q);
  auto pr = tide::Process::start(reader, q);
  co_await pw.wait();
  co_await q.join();  // the reader has printed every item
  pr.terminate();
  const int exitcode = co_await pr.wait();
  // [guide-end]
  std::printf("reader exitcode %d\n", exitcode);
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// Put A to queue...
// ~ Get A from queue.
// ~ Put B to queue...
// ~ Get B from queue.
// ~ Put C to queue...
// ~ Get C from queue.
// reader exitcode -15
