// Helpers for the tests of Loop::dump, the deadlock report and the stall detector.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <tide/core/loop.hpp>

namespace tide::testing {

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
