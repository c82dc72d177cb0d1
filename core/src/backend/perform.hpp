#pragma once

#include <tide/core/detail/io_op.hpp>

namespace tide::detail {

/// Performs `op`'s syscall once, without blocking. Returns false if it would block (the op is
/// unchanged), true with `op.result` set otherwise. Retries on EINTR.
bool perform(IoOp& op) noexcept;

}  // namespace tide::detail
