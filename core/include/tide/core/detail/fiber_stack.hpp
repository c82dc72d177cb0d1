#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tide::detail {

/// One fibre stack: [base, base + size) usable, and below it (guarded stacks) one PROT_NONE
/// page, so running off the end faults instead of corrupting the neighbour.
struct FiberStack {
  void* base = nullptr;   // lowest usable address
  std::size_t size = 0;   // usable bytes
  std::size_t guard = 0;  // bytes of guard below base (0: unguarded)
  [[nodiscard]] void* top() const noexcept { return static_cast<char*>(base) + size; }
};

/// What a stack carries while another one runs.
struct StackState {
  // The C++ runtime keeps "exceptions being handled" per thread; a fibre suspended inside a
  // catch block must find its own there when it resumes (a `throw;` rethrows it), not another
  // fibre's.
  void* caught_exceptions = nullptr;
  unsigned uncaught_exceptions = 0;
  // For ASan: the stack's bounds (a thread's own stack: learnt when it is first left).
  const void* bottom = nullptr;
  std::size_t size = 0;
  // For TSan: its fibre.
  void* tsan_fiber = nullptr;
  // For the overflow report: the fibre stack (null for a thread's own stack) and an id.
  const FiberStack* stack = nullptr;
  std::uint64_t id = 0;
};

/// Hands out fibre stacks from mmap: reserved with MAP_NORESERVE (memory is committed only as
/// the fibre touches it), a guard page below each unless `guarded` is false, and recently
/// freed stacks kept for reuse. Unlike Boost's protected_fixedsize_stack it never hands out
/// an unguarded stack by accident: when the kernel refuses the guard (each guarded stack is
/// two mappings, and vm.max_map_count caps them), `allocate` throws std::system_error naming
/// that limit. Loop thread only.
class StackAllocator {
 public:
  /// `size` is rounded up to whole pages; 0, or a size too large for that rounding (and the
  /// guard page) to fit a size_t, throws std::invalid_argument naming it. Up to `keep` freed
  /// stacks are kept mapped for reuse: mapping, guarding and unmapping a stack (and the TLB
  /// flush that comes with the unmap) cost more than a fibre's whole life otherwise. A kept
  /// stack holds on to the pages its last fibre touched (typically one or two).
  StackAllocator(std::size_t size, bool guarded, std::size_t keep = 1024);
  StackAllocator(const StackAllocator&) = delete;
  StackAllocator& operator=(const StackAllocator&) = delete;
  ~StackAllocator();

  [[nodiscard]] FiberStack allocate();
  void deallocate(const FiberStack& stack) noexcept;

  [[nodiscard]] std::size_t stack_size() const noexcept { return size_; }
  [[nodiscard]] bool guarded() const noexcept { return guarded_; }

 private:
  static void unmap(const FiberStack& stack) noexcept;

  std::size_t size_;
  bool guarded_;
  std::size_t keep_;
  std::vector<FiberStack> free_;
};

/// This thread's pool of stacks of `size` bytes, guarded or not. Pools live as long as the
/// thread (they outlive its greenlets and loops).
StackAllocator& thread_stack_pool(std::size_t size, bool guarded);

/// Sets up, once per thread, the report of a stack overflow: a SIGSEGV handler on an
/// alternate signal stack that recognises a fault just below the running fibre's stack (see
/// `t_running_stack`), prints "tide: fibre stack overflow" with the fibre's id and stack
/// size on stderr and aborts; faults elsewhere go to the handler that was there before.
/// Called when a guarded stack is handed out.
void prepare_overflow_report() noexcept;

/// The stack running on this thread, for the overflow report: set by every switch (one store),
/// null while a thread's own stack runs.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local const StackState* t_running_stack;

}  // namespace tide::detail
