// How the io_uring backend encodes an SQE's user_data (see uring.hpp), shared by its files.
#pragma once

#include <cstdint>

#include <tide/core/detail/io_op.hpp>

namespace tide::detail::uring {

enum DataKind : std::uint64_t { op_kind = 0, cancel_kind = 1, wake_kind = 2, ignored_kind = 3 };
constexpr std::uint64_t kind_mask = 3;
constexpr std::uint64_t address_mask = 0x0000'ffff'ffff'fffcULL;
constexpr int generation_shift = 48;

inline IoOp* op_of(std::uint64_t data) noexcept {
  return reinterpret_cast<IoOp*>(data & address_mask);
}

}  // namespace tide::detail::uring
