#include <tide/core/detail/describe.hpp>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace tide::detail {

std::string describe_duration(std::chrono::nanoseconds d) {
  const long long ns = d.count();
  const long long magnitude = ns < 0 ? -ns : ns;
  char text[48];
  if (magnitude < 1'000)
    std::snprintf(text, sizeof text, "%lldns", ns);
  else if (magnitude < 1'000'000)
    std::snprintf(text, sizeof text, "%lldus", ns / 1'000);
  else if (magnitude < 1'000'000'000)
    std::snprintf(text, sizeof text, "%lldms", ns / 1'000'000);
  else if (magnitude < 120'000'000'000)
    std::snprintf(text, sizeof text, "%.2fs", static_cast<double>(ns) / 1e9);
  else
    std::snprintf(text, sizeof text, "%s%lldm%02llds", ns < 0 ? "-" : "",
                  magnitude / 60'000'000'000, magnitude / 1'000'000'000 % 60);
  return text;
}

std::string describe_deadline(std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (deadline == std::chrono::steady_clock::time_point::max()) return "never";
  std::string text = describe_duration(left);
  return left.count() >= 0 ? "+" + text : text;
}

std::string describe_address(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  return text;
}

std::string describe_object(const char* what, const void* object) {
  const char* space = std::strchr(what, ' ');
  if (space == nullptr) return std::string(what) + " " + describe_address(object);
  return std::string(what, space) + " " + describe_address(object) + space;
}

}  // namespace tide::detail
