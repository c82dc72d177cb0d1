// The fibre stack allocator: guarded, lazily committed stacks, and a clear error instead of an
// unguarded stack when the kernel's mapping limit is reached.
#include <tide/core/detail/fiber_stack.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "process_memory.hpp"
#include "sanitizers.hpp"

namespace {

using tide::detail::FiberStack;
using tide::detail::StackAllocator;

using tide::testing::sanitized;

TEST(FiberStack, SizesRoundUpToPagesAndTheWholeStackIsUsable) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  StackAllocator stacks(page + 1, true);
  EXPECT_EQ(stacks.stack_size(), 2 * page);
  FiberStack s = stacks.allocate();
  EXPECT_EQ(s.size, 2 * page);
  EXPECT_EQ(s.guard, page);
  std::memset(s.base, 0xab, s.size);
  EXPECT_EQ(static_cast<unsigned char*>(s.top())[-1], 0xab);
  stacks.deallocate(s);
  FiberStack again = stacks.allocate();  // reused, not mapped anew
  EXPECT_EQ(again.base, s.base);
  stacks.deallocate(again);
}

TEST(FiberStack, UnguardedStacksHaveNoGuard) {
  StackAllocator stacks(64 * 1024, false);
  FiberStack s = stacks.allocate();
  EXPECT_EQ(s.guard, 0u);
  stacks.deallocate(s);
}

TEST(FiberStackDeathTest, RunningOffTheEndHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  StackAllocator stacks(16 * 1024, true);
  FiberStack s = stacks.allocate();
  EXPECT_DEATH(static_cast<volatile char*>(s.base)[-1] = 1, "");
  stacks.deallocate(s);
}

// Each guarded stack is two mappings, so this machine's vm.max_map_count (read from /proc, not
// assumed) runs out after about half the mappings still free. Then allocation must fail naming
// the limit, never fall back to no guard.
TEST(FiberStack, RunningOutOfMappingsGivesAClearErrorNotAnUnguardedStack) {
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime itself needs mappings";
  // Reserved, never touched: 600,000 stacks are about 12 GB of address space and 1.2 million
  // syscalls (a limit of 1,048,576 needs about 520,000 of them); beyond that, skip.
  constexpr std::size_t most_stacks = 600'000;
  const auto limit = tide::testing::max_map_count();
  const auto reachable = tide::testing::mappings_left_for(2);
  if (!limit || !reachable) GTEST_SKIP() << "/proc/sys/vm/max_map_count is not readable";
  if (*reachable > most_stacks)
    GTEST_SKIP() << "vm.max_map_count is " << *limit << ": reaching it takes about " << *reachable
                 << " guarded stacks, more than this test maps (" << most_stacks << ")";
  const std::size_t attempts = *reachable + *reachable / 10 + 1'000;
  StackAllocator stacks(16 * 1024, true, 0);
  std::vector<FiberStack> held;
  held.reserve(attempts);  // no growth at the limit, where the kernel refuses new mappings
  std::string error;
  try {
    for (std::size_t i = 0; i < attempts; ++i) {
      held.push_back(stacks.allocate());
      ASSERT_NE(held.back().guard, 0u);
    }
  } catch (const std::system_error& e) {
    error = e.what();
  }
  const std::size_t reached = held.size();
  for (const FiberStack& s : held)
    stacks.deallocate(s);
  held.clear();
  ASSERT_FALSE(error.empty()) << attempts << " guarded stacks without reaching vm.max_map_count ("
                              << *limit << ")";
  EXPECT_NE(error.find("vm.max_map_count is " + std::to_string(*limit)), std::string::npos)
      << error;
  EXPECT_GE(reached, *reachable - *reachable / 10)
      << "failed after " << reached << " stacks, well before the limit (about " << *reachable
      << ")";
  // Once stacks are returned, allocation works again.
  FiberStack s = stacks.allocate();
  stacks.deallocate(s);
}

}  // namespace
