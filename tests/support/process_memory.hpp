#pragma once

#include <cstddef>
#include <fstream>
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

/// Resident pages of the process (/proc/self/statm).
inline long resident_pages() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident;
}

}  // namespace tide::testing
