// Code addresses to words, for Loop::dump and the stall report: the function (demangled), and
// its file and line where the binary has line tables. See symbolize.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tide::detail {

/// Up to `max` return addresses of the calling thread's stack, innermost first, skipping the
/// `skip` innermost frames (this function's own is never included). Through the C++ runtime's
/// unwinder, which works from a signal handler too once it has run once on the thread.
std::size_t capture_stack(void** pcs, std::size_t max, std::size_t skip) noexcept;
/// Runs the unwinder once so that a later call from a signal handler finds it ready.
void prepare_stack_capture() noexcept;

/// "function at file:line" for each function at `pc` (more than one when calls were inlined
/// there, innermost first); "function+0x1a in binary" without line tables; the address alone
/// when nothing is known (a stripped binary). `return_address`: `pc` follows a call (a stack
/// frame's), so the call itself is looked up.
std::vector<std::string> describe_code(const void* pc, bool return_address);

/// The coroutine whose frame is at `frame` (g++ and clang put its resume function first in
/// the frame): "fetch(std::string) at server.cpp:42", or empty if not known.
std::string describe_coroutine(const void* frame);

}  // namespace tide::detail
