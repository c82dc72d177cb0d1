// Seed: 000 (多任务编程), "消息队列": two processes talk over two queues, one each way: request
// asks for the credentials on q1, handler answers on q2. Python's multiprocessing.Queue(3)
// is tide::ProcessQueue<T>(3), made before the processes start; a queue carries one type, so
// the dict answer travels on a queue of std::map. The children run as fibres, so their
// get and put are `tide::await(...)`.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

using namespace std::chrono_literals;
using Dict = std::map<std::string, std::string>;

// As Python prints a dict of strings.
std::string repr(const Dict& d) {
  std::string out = "{";
  for (const auto& [key, value] : d)
    out += (out.size() > 1 ? ", '" : "'") + key + "': '" + value + "'";
  return out + "}";
}

// [guide:queue-request-handler]
void request(tide::ProcessQueue<std::string>& q1, tide::ProcessQueue<Dict>& q2) {
  std::printf("使用wx登录？\n");
  tide::await(q1.put("请求用户名密码"));
  const Dict data = tide::await(q2.get());
  std::printf("获取到信息：%s\n", repr(data).c_str());
}

void handler(tide::ProcessQueue<std::string>& q1, tide::ProcessQueue<Dict>& q2) {
  const std::string data = tide::await(q1.get());
  std::printf("收到请求： %s\n", data.c_str());
  tide::sleep(10ms);
  tide::await(q2.put({{"name", "Zhang"}, {"passwd", "123"}}));
}

tide::Task<int> amain() {
  tide::ProcessQueue<std::string> q1(3);
  tide::ProcessQueue<Dict> q2(3);
  auto p1 = tide::Process::start(request, q1, q2);
  auto p2 = tide::Process::start(handler, q1, q2);
  const int code1 = co_await p1.wait();
  const int code2 = co_await p2.wait();
  co_return code1 | code2;
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// 使用wx登录？
// 收到请求： 请求用户名密码
// 获取到信息：{'name': 'Zhang', 'passwd': '123'}
