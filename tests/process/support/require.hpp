// A check for code that runs in a forked child, where gtest's EXPECT cannot report: throws, so
// the child (a tide::Process::start body) exits with status 1 and prints `what` on stderr.
#pragma once

#include <stdexcept>
#include <string>

namespace tide::testing {

inline void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("child check failed: " + what);
}

}  // namespace tide::testing
