#include <tide/io/detail/shared_mapping.hpp>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace tide::io::detail {

SharedMapping::SharedMapping(std::size_t bytes, const char* who) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t size = bytes == 0 ? page : (bytes + page - 1) / page * page;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::system_error(
        errno, std::system_category(),
        std::string(who) + ": mmap of " + std::to_string(size) + " bytes of shared memory");
  data_ = p;
  size_ = size;
}

void SharedMapping::reset() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

int make_eventfd(unsigned initial, bool semaphore, const char* who) {
  const int fd = ::eventfd(initial, EFD_CLOEXEC | EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0));
  if (fd < 0)
    throw std::system_error(errno, std::system_category(), std::string(who) + ": eventfd");
  return fd;
}

void eventfd_add(int fd, std::uint64_t n, const char* who) {
  while (::write(fd, &n, sizeof n) < 0) {
    if (errno == EINTR) continue;
    throw std::system_error(errno, std::system_category(),
                            std::string(who) + ": write to eventfd " + std::to_string(fd));
  }
}

std::uint64_t eventfd_take(int fd, const char* who) {
  std::uint64_t value = 0;
  while (::read(fd, &value, sizeof value) < 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    throw std::system_error(errno, std::system_category(),
                            std::string(who) + ": read from eventfd " + std::to_string(fd));
  }
  return value;
}

}  // namespace tide::io::detail
