// How the io_uring backend encodes an SQE's user_data (see uring.hpp), shared by its files.
#pragma once

#include <cstdint>

#include <tide/core/detail/io_op.hpp>

namespace tide::detail::uring {

enum DataKind : std::uint64_t { op_kind = 0, cancel_kind = 1, wake_kind = 2, ignored_kind = 3 };
constexpr std::uint64_t kind_mask = 3;
constexpr std::uint64_t address_mask = 0x0000'ffff'ffff'fffcULL;
constexpr int generation_shift = 48;

// Incremental buffer consumption (Linux 6.12); liburing 2.3's headers predate it, so the
// values are the kernel uapi's. A kernel without it refuses the registration flag (EINVAL).
constexpr std::uint16_t pbuf_ring_inc = 2;  // IOU_PBUF_RING_INC, io_uring_buf_reg::flags
#ifdef IORING_CQE_F_BUF_MORE
constexpr unsigned cqe_f_buf_more = IORING_CQE_F_BUF_MORE;
#else
constexpr unsigned cqe_f_buf_more = 1U << 4;  // the kernel keeps filling the CQE's buffer
#endif

inline IoOp* op_of(std::uint64_t data) noexcept {
  return reinterpret_cast<IoOp*>(data & address_mask);
}

}  // namespace tide::detail::uring
