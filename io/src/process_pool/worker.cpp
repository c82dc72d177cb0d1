// A ProcessPool worker: reads request frames from its socket, runs each, and writes the answers
// of one read's worth of requests in one write. After answering it spins briefly on
// non-blocking reads before it blocks, since waking a process asleep on the other core costs
// 25-30 us here (docs/design.md, "Figures") and a stream of calls would pay that twice per call.
// Plain blocking syscalls only: no tide loop, no tide::Fd.

#include <cxxabi.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <typeinfo>

#include <tide/core/detail/spin.hpp>
#include <tide/io/codec.hpp>
#include <tide/io/detail/pool_wire.hpp>

#include "io/src/process_pool/control.hpp"

namespace tide::io::detail {

namespace {

std::string demangle(const char* name) {
  int status = 0;
  char* readable = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && readable != nullptr ? readable : name;
  std::free(readable);
  return out;
}

/// Writes out what the calls printed that still sits in stdio's buffers (stdout is
/// block-buffered when it is a pipe or a file). Done before each batch's answers leave, so a
/// call's output is out before its caller sees the result, and nothing is lost when the pool
/// kills its idle workers at the end (the fork server SIGKILLs them: no exit handler runs).
/// With nothing buffered it costs about 140 ns (a walk over stdio's open streams, no
/// syscall). std::cout and std::cerr write through stdio unless sync_with_stdio(false).
void flush_stdio() noexcept {
  std::fflush(nullptr);
}

[[noreturn]] void exit_worker(int code) noexcept {
  std::cout.flush();
  std::cerr.flush();
  flush_stdio();
  ::_exit(code);
}

void write_all(int fd, const std::string& out) noexcept {
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit_worker(0);  // the pool is gone
    }
    sent += static_cast<std::size_t>(n);
  }
}

/// Runs one request and appends its answer frame to `out`.
void run_one(const char* body, std::uint32_t length, std::string& out) noexcept {
  const std::size_t mark = out.size();
  try {
    if (length < 16) throw CodecError("tide::ProcessPool worker: a request frame is too short");
    const auto trampoline = reinterpret_cast<Trampoline>(get_raw<std::uint64_t>(body));
    const auto function = static_cast<std::uintptr_t>(get_raw<std::uint64_t>(body + 8));
    put_u32(out, 0);
    out.push_back(static_cast<char>(answer_ok));
    trampoline(function, std::string_view(body + 16, length - 16), out);
  } catch (...) {
    out.resize(mark);
    std::string type_name = "unknown exception";
    std::string message;
    try {
      throw;
    } catch (const std::exception& e) {
      type_name = demangle(typeid(e).name());
      message = e.what();
    } catch (...) {
      if (const std::type_info* t = abi::__cxa_current_exception_type())
        type_name = demangle(t->name());
    }
    put_u32(out, 0);
    out.push_back(static_cast<char>(answer_raised));
    try {
      encode_append(out, type_name, message);
    } catch (...) {
      out.resize(mark + frame_length_size + 1);
    }
  }
  patch_u32(out, mark, static_cast<std::uint32_t>(out.size() - mark - frame_length_size));
}

}  // namespace

[[noreturn]] void worker_main(int fd, SlotProgress& progress, WorkerSettings settings) noexcept {
  if (settings.initializer != nullptr) {
    try {
      settings.initializer();
    } catch (...) {
      exit_worker(70);
    }
  }
  const bool spin = settings.spin_us > 0 && tide::detail::several_cpus();
  const auto spin_for = std::chrono::microseconds(settings.spin_us);
  std::string in(64 * 1024, '\0');
  std::size_t have = 0;
  std::string out;
  std::uint64_t done = 0;
  auto spin_until = std::chrono::steady_clock::now();  // no spin before the first request
  for (;;) {
    ssize_t n = ::recv(fd, in.data() + have, in.size() - have, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (spin) {
        bool more = true;
        while (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && more) {
          for (int i = 0; i < 16; ++i)
            tide::detail::cpu_relax();
          n = ::recv(fd, in.data() + have, in.size() - have, MSG_DONTWAIT);
          more = std::chrono::steady_clock::now() < spin_until;
        }
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        n = ::recv(fd, in.data() + have, in.size() - have, 0);
    }
    if (n == 0) exit_worker(0);  // the pool closed our socket
    if (n < 0) {
      if (errno == EINTR) continue;
      exit_worker(0);
    }
    have += static_cast<std::size_t>(n);
    std::size_t pos = 0;
    while (have - pos >= frame_length_size) {
      const auto length = get_raw<std::uint32_t>(in.data() + pos);
      if (have - pos - frame_length_size < length) {
        if (frame_length_size + length > in.size()) in.resize(frame_length_size + length);
        break;
      }
      if (settings.max_tasks != 0 && done >= settings.max_tasks) {
        flush_stdio();
        write_all(fd, out);
        exit_worker(0);  // the pool replaces it; what it did not begin runs elsewhere
      }
      progress.started.store(++done, std::memory_order_release);
      run_one(in.data() + pos + frame_length_size, length, out);
      pos += frame_length_size + length;
    }
    if (pos > 0) {
      std::memmove(in.data(), in.data() + pos, have - pos);  // the partial frame to the front
      have -= pos;
    }
    if (!out.empty()) {
      flush_stdio();
      write_all(fd, out);
      out.clear();
    }
    if (settings.max_tasks != 0 && done >= settings.max_tasks && have == 0) exit_worker(0);
    spin_until = std::chrono::steady_clock::now() + spin_for;
  }
}

}  // namespace tide::io::detail
