#pragma once

#include <string>
#include <vector>

namespace tide::detail {

class LoopCore;

/// Every wait-for cycle among the loop's live tasks and fibres, one line each: "deadlock: task
/// #4 'writer' -> Mutex 0x... held by task #7 'reader' -> Mutex 0x... held by task #4
/// 'writer'". The edges are what each parked job's waiter names as `WaitInfo::blocked_by` (a
/// mutex's holder, a joined job). Loop thread only.
std::vector<std::string> wait_cycles(LoopCore& loop);

}  // namespace tide::detail
