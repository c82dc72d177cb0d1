#pragma once

namespace tide::detail {

/// Makes writing to a pipe or socket whose reader is gone fail with EPIPE instead of killing
/// the process: SIGPIPE's default disposition becomes "ignore", once per process. A handler
/// the application installed stays.
void ignore_sigpipe() noexcept;

}  // namespace tide::detail
