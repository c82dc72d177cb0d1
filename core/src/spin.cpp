#include <tide/core/detail/spin.hpp>

#include <sched.h>

namespace tide::detail {

bool several_cpus() noexcept {
  static const bool several = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return true;  // unknown: assume so
    return CPU_COUNT(&set) > 1;
  }();
  return several;
}

}  // namespace tide::detail
