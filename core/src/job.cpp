#include <tide/core/detail/job.hpp>

#include <string>

namespace tide::detail {

std::string Job::describe() const {
  std::string s = std::string(kind) + " #" + std::to_string(id);
  if (!name.empty()) s += " '" + name + "'";
  return s;
}

}  // namespace tide::detail
