#pragma once

namespace tide::detail {

class LoopCore;

/// The loops constructed on this thread (usually one), so closing an fd can tell each of them.
void thread_loops_add(LoopCore& loop);
void thread_loops_remove(LoopCore& loop) noexcept;

}  // namespace tide::detail
