#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tide::io::detail {

/// The frames between the loop and a pool worker, on one SOCK_STREAM socketpair per worker.
/// Both ends are the same program image, so integers travel in native byte order.
///
///   request: u32 length | u64 trampoline address | u64 function address | encoded arguments
///   answer:  u32 length | u8 status | payload
///
/// `length` counts the bytes after itself. Answers come back in the order of the requests.
/// An answer's status is `answer_ok` (payload: the encoded result) or `answer_raised`
/// (payload: the encoded type name and message of the exception the call threw).
inline constexpr std::size_t frame_length_size = 4;
inline constexpr std::size_t request_header_size = frame_length_size + 16;
inline constexpr std::uint8_t answer_ok = 0;
inline constexpr std::uint8_t answer_raised = 1;

/// What a worker calls for a request: decodes the arguments from `args`, calls the function
/// (`function` is its address, or 0 for a captureless lambda or empty function object, which
/// the trampoline default-constructs), and appends the encoded result to `out`. Throws what
/// the function throws (the worker turns it into an `answer_raised` frame).
using Trampoline = void (*)(std::uintptr_t function, std::string_view args, std::string& out);

inline void put_u32(std::string& out, std::uint32_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
inline void put_u64(std::string& out, std::uint64_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
inline void patch_u32(std::string& out, std::size_t at, std::uint32_t value) {
  std::memcpy(out.data() + at, &value, sizeof value);
}
template <class T>
T get_raw(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

}  // namespace tide::io::detail
