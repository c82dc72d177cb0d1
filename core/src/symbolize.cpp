// Symbols through GCC's libbacktrace where the build found it (TIDE_BACKTRACE_H, see the top
// CMakeLists.txt): it reads DWARF line tables and the ELF symbol table of the running binary,
// so a plain -O2 build (no -g) still names functions; -g or -g1 adds files and lines. Without
// it, dladdr names only exported symbols. A stripped binary shows addresses, which
// `addr2line -e <binary>` resolves against an unstripped copy.
#include "core/src/symbolize.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <unwind.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#ifdef TIDE_BACKTRACE_H
#include TIDE_BACKTRACE_H
#endif

namespace tide::detail {

namespace {

struct Capture {
  void** pcs;
  std::size_t max;
  std::size_t skip;
  std::size_t count = 0;
};

_Unwind_Reason_Code on_frame(_Unwind_Context* context, void* arg) {
  auto& capture = *static_cast<Capture*>(arg);
  const auto pc = _Unwind_GetIP(context);
  if (pc == 0) return _URC_END_OF_STACK;
  if (capture.skip > 0) {
    --capture.skip;
    return _URC_NO_REASON;
  }
  capture.pcs[capture.count++] = reinterpret_cast<void*>(pc);
  return capture.count == capture.max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

std::string demangle(const char* symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), &std::free);
  return status == 0 && text ? std::string(text.get()) : std::string(symbol);
}

// A coroutine's resume function is a clone of the coroutine: g++ names it
// "_Z5fetchPZ5fetchiE13_Z5fetchi.Frame.actor" (the coroutine's own mangled name inside, as
// the frame type's), clang "_Z5fetchi.resume". The coroutine's name, demangled, is what a
// reader wants.
std::string coroutine_symbol(std::string_view symbol) {
  if (const auto frame = symbol.find(".Frame"); frame != std::string_view::npos) {
    // The frame type is mangled as <length><name>.Frame; its name is the coroutine's.
    for (std::size_t start = symbol.rfind("_Z", frame);
         start != std::string_view::npos && start > 0; start = symbol.rfind("_Z", start - 1)) {
      std::size_t digits = start;
      while (digits > 0 && symbol[digits - 1] >= '0' && symbol[digits - 1] <= '9')
        --digits;
      if (digits == start) continue;
      const auto length =
          std::strtoul(std::string(symbol.substr(digits, start - digits)).c_str(), nullptr, 10);
      if (length == frame + 6 - start)
        return demangle(std::string(symbol.substr(start, frame - start)).c_str());
      if (start == 0) break;
    }
  }
  for (std::string_view suffix : {".resume", ".actor", ".destroy"})
    if (symbol.ends_with(suffix))
      return demangle(std::string(symbol.substr(0, symbol.size() - suffix.size())).c_str());
  return demangle(std::string(symbol).c_str());
}

std::string hex(std::uintptr_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIxPTR, value);
  return text;
}

#ifdef TIDE_BACKTRACE_H
backtrace_state* state() {
  // Never freed (libbacktrace cannot free a state); threaded: the stall watchdog uses it too.
  static backtrace_state* const shared = backtrace_create_state(
      nullptr, /*threaded=*/1, [](void*, const char*, int) {}, nullptr);
  return shared;
}

void ignore_error(void*, const char*, int) {}
#endif

// The symbol covering `pc`, and its start ("" if none is known).
std::string symbol_at(std::uintptr_t pc, std::uintptr_t& start) {
  std::string name;
  start = 0;
#ifdef TIDE_BACKTRACE_H
  struct Found {
    std::string* name;
    std::uintptr_t* start;
  } found{&name, &start};
  backtrace_syminfo(
      state(), pc,
      [](void* data, std::uintptr_t, const char* symbol, std::uintptr_t value, std::uintptr_t) {
        auto& f = *static_cast<Found*>(data);
        if (symbol != nullptr) {
          *f.name = symbol;
          *f.start = value;
        }
      },
      &ignore_error, &found);
#endif
  if (name.empty()) {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(pc), &info) != 0 && info.dli_sname != nullptr) {
      name = info.dli_sname;
      start = reinterpret_cast<std::uintptr_t>(info.dli_saddr);
    }
  }
  return name;
}

std::string object_of(std::uintptr_t pc) {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(pc), &info) == 0 || info.dli_fname == nullptr) return {};
  std::string_view path = info.dli_fname;
  if (const auto slash = path.rfind('/'); slash != std::string_view::npos)
    path.remove_prefix(slash + 1);
  return std::string(path) + "+" + hex(pc - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
}

}  // namespace

std::size_t capture_stack(void** pcs, std::size_t max, std::size_t skip) noexcept {
  if (max == 0) return 0;
  Capture capture{pcs, max, skip + 1};  // + this function's own frame
  _Unwind_Backtrace(&on_frame, &capture);
  return capture.count;
}

void prepare_stack_capture() noexcept {
  void* pcs[4];
  (void)capture_stack(pcs, 4, 0);
}

std::vector<std::string> describe_code(const void* address, bool return_address) {
  const auto pc = reinterpret_cast<std::uintptr_t>(address) - (return_address ? 1 : 0);
  std::vector<std::string> frames;
#ifdef TIDE_BACKTRACE_H
  backtrace_pcinfo(
      state(), pc,
      [](void* data, std::uintptr_t, const char* file, int line, const char* function) {
        if (function == nullptr) return 0;
        std::string text = demangle(function);
        if (file != nullptr) text += std::string(" at ") + file + ":" + std::to_string(line);
        static_cast<std::vector<std::string>*>(data)->push_back(std::move(text));
        return 0;
      },
      &ignore_error, &frames);
#endif
  if (!frames.empty()) return frames;
  std::uintptr_t start = 0;
  const std::string symbol = symbol_at(pc, start);
  const std::string object = object_of(pc);
  if (symbol.empty()) {
    frames.push_back(hex(pc) + (object.empty() ? "" : " (" + object + ")"));
  } else {
    frames.push_back(demangle(symbol.c_str()) + "+" + hex(pc - start) +
                     (object.empty() ? "" : " (" + object + ")"));
  }
  return frames;
}

std::string describe_coroutine(const void* frame) {
  if (frame == nullptr) return {};
  // g++ and clang: the frame begins with the resume function's address (null once done).
  void* resume = nullptr;
  std::memcpy(&resume, frame, sizeof resume);
  if (resume == nullptr) return "(finished coroutine)";
  const auto pc = reinterpret_cast<std::uintptr_t>(resume);
  std::uintptr_t start = 0;
  std::string text = symbol_at(pc, start);
  text = text.empty() ? hex(pc) : coroutine_symbol(text);
#ifdef TIDE_BACKTRACE_H
  struct Where {
    std::string file;
    int line = 0;
  } where;
  backtrace_pcinfo(
      state(), pc,
      [](void* data, std::uintptr_t, const char* file, int line, const char*) {
        auto& w = *static_cast<Where*>(data);
        if (file != nullptr && w.file.empty()) {
          w.file = file;
          w.line = line;
        }
        return 0;
      },
      &ignore_error, &where);
  if (!where.file.empty()) text += " at " + where.file + ":" + std::to_string(where.line);
#endif
  return text;
}

}  // namespace tide::detail
