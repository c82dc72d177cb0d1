// Seed: 002 (Python-并发编程), "IPC机制": (1) a child puts a string on a Queue, the parent gets
// it; (2) a producer puts a string and a dict, a consumer gets both and prints the first and
// the type of the second. A tide::ProcessQueue carries one type, so in (2) it carries a
// std::variant of the two; `index()` plays Python's type().
#include <cstdio>
#include <map>
#include <string>
#include <variant>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using Dict = std::map<std::string, std::string>;
using Item = std::variant<std::string, Dict>;

tide::Task<int> parent_gets() {
  tide::ProcessQueue<std::string> q;
  auto p = tide::Process::start([&] {
    tide::await(q.put("hello process again"));
    std::printf("hello process\n");
  });
  std::printf("%s\n", (co_await q.get()).c_str());
  co_return co_await p.wait();
}

// [guide:queue-ipc]
void producer(tide::ProcessQueue<Item>& q) {
  const Dict d1{{"name", "jack"}};
  tide::await(q.put(std::string("hello process again")));
  tide::await(q.put(d1));
  std::printf("producer\n");
}

void consumer(tide::ProcessQueue<Item>& q) {
  std::printf("%s\n", std::get<std::string>(tide::await(q.get())).c_str());
  const Item second = tide::await(q.get());
  std::printf("<class '%s'>\n", second.index() == 1 ? "dict" : "str");
}

tide::Task<int> producer_and_consumer() {
  tide::ProcessQueue<Item> q;
  auto p = tide::Process::start(producer, q);
  auto c = tide::Process::start(consumer, q);
  const int code_p = co_await p.wait();
  const int code_c = co_await c.wait();
  co_return code_p | code_c;
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  const int first = tide::run(parent_gets());
  std::printf("---\n");
  return first | tide::run(producer_and_consumer());
}

// Output:
// ~ hello process
// ~ hello process again
// ---
// ~ producer
// ~ hello process again
// ~ <class 'dict'>
