#pragma once

#include <string_view>

namespace tide {

/// Which I/O backend a loop drives. `Auto` honours the `TIDE_BACKEND` environment variable
/// (`auto`, `io_uring`, `epoll`, `poll`), else picks the best one this machine has.
/// `Kqueue` and `Iocp` name the backends of other platforms: asking for one where it is not
/// built fails with std::invalid_argument.
enum class Backend { Auto, IoUring, Epoll, Poll, Kqueue, Iocp };

/// "auto", "io_uring", "epoll", "poll", "kqueue", "iocp".
[[nodiscard]] std::string_view to_string(Backend backend) noexcept;
/// Parses the names above (case-insensitive; "uring" is accepted for io_uring).
/// Throws std::invalid_argument naming the text.
[[nodiscard]] Backend parse_backend(std::string_view name);

}  // namespace tide
