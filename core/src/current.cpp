#include <tide/core/current.hpp>

#include <cstring>
#include <utility>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/errors.hpp>

namespace tide::current {

std::string_view name() noexcept {
  const detail::Job* job = detail::current_job();
  return job != nullptr ? std::string_view(job->name) : std::string_view();
}

void set_name(std::string name) {
  detail::Job* job = detail::current_job();
  if (job == nullptr)
    throw UsageError("tide::current::set_name: no task or fibre is running on this thread");
  job->name = std::move(name);
}

std::uint64_t id() noexcept {
  const detail::Job* job = detail::current_job();
  return job != nullptr ? job->id : 0;
}

bool is_fibre() noexcept {
  const detail::Job* job = detail::current_job();
  return job != nullptr && std::strcmp(job->kind, "fibre") == 0;
}

std::string describe() {
  const detail::Job* job = detail::current_job();
  return job != nullptr ? job->describe() : std::string("no task or fibre");
}

}  // namespace tide::current
