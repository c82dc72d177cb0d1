#pragma once

#include <cstddef>
#include <fstream>
#include <optional>
#include <string>

namespace tide::testing {

/// Lines of /proc/self/maps: the process's memory mappings (vm.max_map_count caps them).
inline std::size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  std::size_t lines = 0;
  for (std::string line; std::getline(maps, line);)
    ++lines;
  return lines;
}

/// This machine's cap on a process's memory mappings (/proc/sys/vm/max_map_count: 65,530 by
/// default, but distributions raise it, some to 1,048,576 or more); nullopt if unreadable.
inline std::optional<std::size_t> max_map_count() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  std::size_t limit = 0;
  if (!(in >> limit)) return std::nullopt;
  return limit;
}

/// How many more objects of `mappings_each` mappings fit before vm.max_map_count is reached,
/// counting the mappings this process has now; nullopt if the limit is unreadable.
inline std::optional<std::size_t> mappings_left_for(std::size_t mappings_each) {
  const auto limit = max_map_count();
  if (!limit) return std::nullopt;
  const std::size_t in_use = mapping_count();
  return (*limit > in_use ? *limit - in_use : 0) / mappings_each;
}

/// Resident pages of the process (/proc/self/statm).
inline long resident_pages() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident;
}

}  // namespace tide::testing
