#pragma once

#include <cstddef>
#include <ios>
#include <istream>
#include <ostream>
#include <span>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

namespace tide::io {

/// The codec of everything that crosses a process boundary in tide (ProcessPool arguments and
/// results, Channel and ProcessQueue messages): cereal's binary archives. Standard types work
/// as they are (this header includes cereal's support for the common ones); a user type opts
/// in as cereal users already do, with a `serialize(Archive&)` member or free function (or
/// `save`/`load`). Both ends are the same program on the same machine, so the binary form
/// (native byte order and sizes) is enough.

/// True when `T` can be written and read back by tide's codec.
template <class T>
inline constexpr bool is_serializable_v =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value&&
        cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value&&
            std::is_default_constructible_v<T>;

/// Raised when bytes do not decode as the type asked for (too short, or from another type).
class CodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// A streambuf appending to a std::string: cereal writes through std::ostream, and this keeps
/// that to an append with no copy of its own.
class AppendBuffer final : public std::streambuf {
 public:
  void target(std::string* out) noexcept { out_ = out; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    out_->append(data, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_->push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_ = nullptr;
};

/// A streambuf reading from bytes in place.
class ViewBuffer final : public std::streambuf {
 public:
  void target(std::string_view bytes) noexcept {
    char* begin = const_cast<char*>(bytes.data());  // only read from
    setg(begin, begin, begin + bytes.size());
  }
  [[nodiscard]] std::size_t consumed() const noexcept {
    return static_cast<std::size_t>(gptr() - eback());
  }
};

/// One stream of each kind per thread: constructing a std::ostream (its locale) costs more
/// than encoding a small message.
struct CodecStreams {
  AppendBuffer out_buffer;
  ViewBuffer in_buffer;
  std::ostream out{&out_buffer};
  std::istream in{&in_buffer};
};
inline CodecStreams& codec_streams() {
  thread_local CodecStreams streams;
  return streams;
}

template <class T>
constexpr void check_serializable() {
  static_assert(is_serializable_v<T>,
                "tide::io codec: this type cannot cross a process boundary. Give it a "
                "`template <class Archive> void serialize(Archive&)` member (or free function, "
                "or save/load) as cereal expects, include cereal's header for any standard type "
                "tide/io/codec.hpp does not include, and make it default-constructible.");
}

}  // namespace detail

/// Appends the encoding of `values...` (in order) to `out`.
template <class... Ts>
void encode_append(std::string& out, const Ts&... values) {
  (detail::check_serializable<Ts>(), ...);
  auto& streams = detail::codec_streams();
  streams.out_buffer.target(&out);
  cereal::BinaryOutputArchive archive(streams.out);
  archive(values...);
}

/// The encoding of `value`.
template <class T>
[[nodiscard]] std::string encode(const T& value) {
  std::string out;
  encode_append(out, value);
  return out;
}

/// Decodes `values...` (in order) from the front of `bytes`; returns how many bytes were read.
/// Throws CodecError when `bytes` ends too early.
template <class... Ts>
std::size_t decode_into(std::string_view bytes, Ts&... values) {
  (detail::check_serializable<Ts>(), ...);
  auto& streams = detail::codec_streams();
  streams.in_buffer.target(bytes);
  streams.in.clear();
  try {
    cereal::BinaryInputArchive archive(streams.in);
    archive(values...);
  } catch (const cereal::Exception& e) {
    throw CodecError(std::string("tide::io codec: ") + std::to_string(bytes.size()) +
                     " bytes do not decode as the expected type(s) (" + e.what() + ")");
  }
  return streams.in_buffer.consumed();
}

/// Decodes one `T` from `bytes`, which must hold exactly its encoding. Throws CodecError
/// otherwise.
template <class T>
[[nodiscard]] T decode(std::string_view bytes) {
  T value{};
  const std::size_t used = decode_into(bytes, value);
  if (used != bytes.size())
    throw CodecError("tide::io codec: " + std::to_string(bytes.size() - used) +
                     " bytes left over after decoding a " + typeid(T).name());
  return value;
}

}  // namespace tide::io
