#pragma once

#include <chrono>
#include <string>

namespace tide::detail {

// Words for Loop::dump and the stall report: durations, deadlines and addresses as a user
// reads them.

/// "850ns", "12us", "350ms", "1.20s", "2m05s".
std::string describe_duration(std::chrono::nanoseconds d);
/// A deadline on the loop's clock, from now: "+1.20s", or "-3ms" once it has passed.
std::string describe_deadline(std::chrono::steady_clock::time_point deadline);
/// "0x55d1c2a4b2c0".
std::string describe_address(const void* p);
/// An object and what is done with it: ("Queue get", q) -> "Queue 0x55d1c2a4b2c0 get";
/// ("Event", e) -> "Event 0x55d1c2a4b2c0".
std::string describe_object(const char* what, const void* object);

}  // namespace tide::detail
