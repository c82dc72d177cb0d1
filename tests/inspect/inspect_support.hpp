// Helpers for the tests of Loop::dump, the deadlock report and the stall detector.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>

#include <tide/core/loop.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/task.hpp>

namespace tide::testing {

inline constexpr auto npos = std::string::npos;

/// A task with nothing to do for an hour: something to see in a dump.
inline Task<void> sleep_an_hour() {
  co_await tide::sleep_for(std::chrono::hours(1));
}

/// An address as the dump prints it ("0x55d1c2a4b2c0").
inline std::string address(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return text;
}

/// Turns `loop` without blocking until `done()` holds (at most `turns` times); whether it did.
/// For a test that parks tasks and then looks at them from outside the loop.
inline bool turn_until(Loop& loop, const std::function<bool()>& done, int turns = 1000) {
  for (int i = 0; i < turns && !done(); ++i)
    loop.run_once(std::chrono::milliseconds(10));
  return done();
}

/// The line of `dump` that begins with `who` ("task #3 'name'"), or "" if none does.
inline std::string entry_of(const std::string& dump, const std::string& who) {
  std::size_t at = dump.find("\n" + who + ":");
  if (at == std::string::npos) return {};
  ++at;
  return dump.substr(at, dump.find('\n', at) - at);
}

/// Whether `text` holds `parts` in this order.
inline bool in_order(const std::string& text, std::initializer_list<std::string> parts) {
  std::size_t at = 0;
  for (const std::string& part : parts) {
    at = text.find(part, at);
    if (at == std::string::npos) return false;
    at += part.size();
  }
  return true;
}

}  // namespace tide::testing

#include <unistd.h>

#include <cstdio>

namespace tide::testing {

/// Collects what is written to stderr (fd 2) while it lives.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()), saved_(::dup(2)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), 2);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  ~CapturedStderr() {
    restore();
    std::fclose(file_);
  }
  /// Everything written so far.
  std::string text() {
    std::fflush(stderr);
    std::string out;
    char buffer[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(::fileno(file_), buffer, sizeof buffer, at);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }

 private:
  std::FILE* file_;
  int saved_;
};

/// How often `part` occurs in `text`.
inline int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

}  // namespace tide::testing
