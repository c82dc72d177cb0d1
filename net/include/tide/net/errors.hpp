#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace tide::net {

/// The stream ended (the peer shut down its side) before a read had what it needed:
/// `read_exact` short of its size, `read_until` before the delimiter. `partial()` is what was
/// read (`read_until`) and `bytes_read()` how much (both), so nothing received is lost.
class EndOfStream : public std::runtime_error {
 public:
  EndOfStream(const std::string& what, std::size_t bytes_read, std::string partial = {})
      : std::runtime_error(what), bytes_read_(bytes_read), partial_(std::move(partial)) {}
  [[nodiscard]] std::size_t bytes_read() const noexcept { return bytes_read_; }
  [[nodiscard]] const std::string& partial() const noexcept { return partial_; }

 private:
  std::size_t bytes_read_;
  std::string partial_;
};

/// A delimited read (`read_line`, `read_until`) found no delimiter within its limit. The
/// bytes stay buffered; the stream is best closed (the peer does not speak the protocol).
class MessageTooLong : public std::length_error {
 public:
  using std::length_error::length_error;
};

/// Name resolution failed: `code()` is getaddrinfo's (EAI_NONAME...), `what()` carries its
/// message and the name asked for.
class ResolveError : public std::runtime_error {
 public:
  ResolveError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

}  // namespace tide::net
