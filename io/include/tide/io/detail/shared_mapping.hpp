#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace tide::io::detail {

/// Anonymous shared memory (mmap MAP_SHARED | MAP_ANONYMOUS), zero-filled: made before fork,
/// the same pages are seen by the parent and every child forked after. No fd is involved, so
/// nothing can leak across exec. Unmapped on destruction (in this process only).
class SharedMapping {
 public:
  SharedMapping() noexcept = default;
  /// Maps `bytes` (at least one page). `who` names the owner in the error.
  /// Throws std::system_error (ENOMEM, ...).
  SharedMapping(std::size_t bytes, const char* who);
  SharedMapping(SharedMapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  SharedMapping& operator=(SharedMapping&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  ~SharedMapping() { reset(); }

  [[nodiscard]] void* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool valid() const noexcept { return data_ != nullptr; }
  /// Unmaps now.
  void reset() noexcept;

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An eventfd, close-on-exec and non-blocking, holding `initial`; `semaphore` selects
/// EFD_SEMAPHORE (each read takes one). Throws std::system_error naming `who`.
int make_eventfd(unsigned initial, bool semaphore, const char* who);
/// Adds `n` to an eventfd (never waits: the counter cannot get near its limit here).
void eventfd_add(int fd, std::uint64_t n, const char* who);
/// Reads an eventfd without waiting: its value (1 in semaphore mode), or 0 if it was zero.
std::uint64_t eventfd_take(int fd, const char* who);

}  // namespace tide::io::detail
