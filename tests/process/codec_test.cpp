#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <tide/io/codec.hpp>

namespace {

struct Point {
  int x = 0;
  double y = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, label);
  }
  bool operator==(const Point&) const = default;
};

struct NotSerialisable {
  int x = 0;
};

TEST(Codec, StandardTypesRoundTrip) {
  std::map<std::string, std::vector<int>> m{{"a", {1, 2, 3}}, {"b", {}}};
  EXPECT_EQ(tide::io::decode<decltype(m)>(tide::io::encode(m)), m);
  std::tuple<int, std::string, std::optional<double>> t{7, "seven", 7.5};
  EXPECT_EQ(tide::io::decode<decltype(t)>(tide::io::encode(t)), t);
}

TEST(Codec, UserTypeWithSerializeMember) {
  Point p{3, 4.5, "p"};
  EXPECT_EQ(tide::io::decode<Point>(tide::io::encode(p)), p);
  static_assert(tide::io::is_serializable_v<Point>);
  static_assert(!tide::io::is_serializable_v<NotSerialisable>);
}

TEST(Codec, SeveralValuesAppendAndDecodeInOrder) {
  std::string bytes;
  tide::io::encode_append(bytes, 1, std::string("two"));
  tide::io::encode_append(bytes, 3.0);
  int a = 0;
  std::string b;
  double c = 0;
  EXPECT_EQ(tide::io::decode_into(bytes, a, b, c), bytes.size());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, "two");
  EXPECT_EQ(c, 3.0);
}

TEST(Codec, ShortOrLongInputIsACodecError) {
  std::string bytes = tide::io::encode(std::string("hello"));
  EXPECT_THROW((void)tide::io::decode<std::string>(bytes.substr(0, bytes.size() - 1)),
               tide::io::CodecError);
  EXPECT_THROW((void)tide::io::decode<int>(tide::io::encode(std::int64_t{1})),
               tide::io::CodecError);
}

}  // namespace
