#pragma once

namespace tide {

/// A place in the source: file, line and function, as `std::source_location` gives them, but
/// taken through the compiler builtins that g++ and clang 14 both have (clang 14 with
/// libstdc++ has no `std::source_location`). As a default argument or a default member
/// initialiser, `here()` names the line that called the function or wrote the braces.
struct SourceSite {
  const char* file = nullptr;  // null: not known
  unsigned line = 0;
  const char* function = "";

  static constexpr SourceSite here(const char* file = __builtin_FILE(),
                                   unsigned line = __builtin_LINE(),
                                   const char* function = __builtin_FUNCTION()) noexcept {
    return {file, line, function};
  }
  [[nodiscard]] constexpr bool known() const noexcept { return file != nullptr; }
};

}  // namespace tide
