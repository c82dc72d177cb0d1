#pragma once

#include <condition_variable>
#include <mutex>

namespace tide::testing {

// A one-shot gate a worker thread can block on until the test opens it.
struct Gate {
  void open() {
    std::lock_guard lock(m);
    opened = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return opened; });
  }
  std::mutex m;
  std::condition_variable cv;
  bool opened = false;
};

}  // namespace tide::testing
