// Seed: 000 (多任务编程), "线程Event": 杨子荣 gives the password in a thread and sets the
// event; main waits for it with e.wait(3) and checks the password. The thread becomes a task,
// e.wait(3) becomes `wait_for(3s)`, which returns false when the time runs out; a second round
// shows that branch, with nobody giving the password.
#include <chrono>
#include <cstdio>
#include <string>

#include <tide/core/run.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/sync/event.hpp>

using namespace std::chrono_literals;

namespace {

std::string s;  // s = None: for the message
tide::Event e;

tide::Task<void> yzr() {
  std::printf("杨子荣前来拜山头\n");
  s = "天王盖地虎";  // the critical section
  e.set();           // ends main's wait
  co_return;
}

tide::Task<void> check(std::chrono::milliseconds limit) {
  // [guide:event-password]
  std::printf("说对口令就是自己人\n");
  const bool set = co_await e.wait_for(limit);  // e.wait(3)
  if (s == "天王盖地虎") {
    std::printf("宝塔镇河妖\n");
    std::printf("确认过眼神，你是自己人\n");
  } else {
    std::printf("兄弟们，打死他\n");
  }
  // [guide-end]
  std::printf("(the event was %s)\n", set ? "set" : "not set: the wait timed out");
}

tide::Task<void> main_task() {
  auto t = tide::spawn(yzr());  // t.start()
  co_await check(3s);
  co_await t;

  // Nobody comes this time: the wait ends after its timeout.
  s.clear();
  e.clear();
  co_await check(20ms);
}

}  // namespace

int main() {
  tide::run(main_task());
  return 0;
}

// Output:
// 说对口令就是自己人
// 杨子荣前来拜山头
// 宝塔镇河妖
// 确认过眼神，你是自己人
// (the event was set)
// 说对口令就是自己人
// 兄弟们，打死他
// (the event was not set: the wait timed out)
