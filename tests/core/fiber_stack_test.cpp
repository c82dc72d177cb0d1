// The fibre stack allocator: guarded, lazily committed stacks, and a clear error instead of an
// unguarded stack when the kernel's mapping limit is reached.
#include <tide/core/detail/fiber_stack.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <system_error>
#include <vector>

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

// Each guarded stack is two mappings; vm.max_map_count (65,530 here) runs out after about
// 32,000. Then allocation must fail naming the limit, never fall back to no guard.
TEST(FiberStack, RunningOutOfMappingsGivesAClearErrorNotAnUnguardedStack) {
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime itself needs mappings";
  StackAllocator stacks(16 * 1024, true, 0);
  std::vector<FiberStack> held;
  std::string error;
  try {
    for (int i = 0; i < 200'000; ++i) {
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
  ASSERT_FALSE(error.empty()) << "200,000 guarded stacks without reaching the limit";
  EXPECT_NE(error.find("vm.max_map_count"), std::string::npos) << error;
  EXPECT_GT(reached, 1'000u);
  // Once stacks are returned, allocation works again.
  FiberStack s = stacks.allocate();
  stacks.deallocate(s);
}

}  // namespace
