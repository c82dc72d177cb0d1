#include <tide/core/detail/fiber_stack.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tide::detail {

namespace {

std::size_t page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::string max_map_count() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  std::string value;
  if (!(in >> value)) value = "unknown";
  return value;
}

}  // namespace

StackAllocator::StackAllocator(std::size_t size, bool guarded, std::size_t keep)
    : guarded_(guarded), keep_(keep) {
  const std::size_t page = page_size();
  if (size == 0)
    throw std::invalid_argument(
        "tide: fibre stack size 0 is invalid (the stack size must be at least 1 byte; it is "
        "rounded up to whole pages)");
  // Rounded up to whole pages, with the guard page below, the mapping's length must still fit.
  if (size > std::numeric_limits<std::size_t>::max() - 2 * page)
    throw std::invalid_argument("tide: fibre stack size " + std::to_string(size) +
                                " is too large (rounded up to whole pages, with a guard page, it "
                                "overflows size_t)");
  size_ = (size + page - 1) / page * page;
}

StackAllocator::~StackAllocator() {
  for (const FiberStack& s : free_)
    unmap(s);
}

FiberStack StackAllocator::allocate() {
  if (!free_.empty()) {
    FiberStack s = free_.back();
    free_.pop_back();
    return s;
  }
  FiberStack s;
  s.size = size_;
  s.guard = guarded_ ? page_size() : 0;
  void* m = ::mmap(nullptr, s.size + s.guard, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED)
    throw std::system_error(errno, std::system_category(),
                            "tide: cannot map a " + std::to_string(size_) + "-byte fibre stack");
  if (s.guard != 0 && ::mprotect(m, s.guard, PROT_NONE) != 0) {
    const int error = errno;
    ::munmap(m, s.size + s.guard);
    // mprotect splits the mapping in two; ENOMEM here is the map count limit.
    throw std::system_error(
        error, std::system_category(),
        "tide: cannot place the guard page of a fibre stack (each guarded stack takes two "
        "memory mappings and vm.max_map_count is " +
            max_map_count() +
            "); end some fibres, raise vm.max_map_count, or choose unguarded stacks");
  }
  s.base = static_cast<char*>(m) + s.guard;
  if (guarded_) prepare_overflow_report();
  return s;
}

void StackAllocator::deallocate(const FiberStack& stack) noexcept {
  if (free_.size() < keep_) {
    try {
      free_.push_back(stack);
      return;
    } catch (...) {
    }
  }
  unmap(stack);
}

void StackAllocator::unmap(const FiberStack& stack) noexcept {
  ::munmap(static_cast<char*>(stack.base) - stack.guard, stack.size + stack.guard);
}

StackAllocator& thread_stack_pool(std::size_t size, bool guarded) {
  // Keyed by the size as given: a pool rounds it to pages itself.
  thread_local std::map<std::pair<std::size_t, bool>, std::unique_ptr<StackAllocator>> pools;
  auto& pool = pools[{size, guarded}];
  if (!pool) pool = std::make_unique<StackAllocator>(size, guarded);
  return *pool;
}

}  // namespace tide::detail
