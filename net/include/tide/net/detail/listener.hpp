#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <tide/core/task.hpp>
#include <tide/io/acceptor.hpp>
#include <tide/io/fd.hpp>
#include <tide/net/detail/socket.hpp>

namespace tide::net::detail {

/// What TcpListener and UnixListener share: a listening socket and its accepting.
class Listener : public Socket {
 public:
  Listener() noexcept;
  explicit Listener(io::Fd fd) noexcept;
  Listener(Listener&&) noexcept;
  Listener& operator=(Listener&&) noexcept;
  ~Listener();

  /// Connections accepted while out of descriptors (EMFILE, ENFILE) or memory: they wait in
  /// the kernel's queue while accepting pauses and retries.
  [[nodiscard]] std::uint64_t resource_pauses() const noexcept { return pauses_; }

 protected:
  /// The next connection's descriptor. Errors that concern one connection (it was reset
  /// before we took it) are skipped; running out of descriptors or memory pauses accepting
  /// (1 ms, doubling to 100 ms) instead of spinning or failing, so connections wait in the
  /// backlog until descriptors free up. Anything else is thrown as std::system_error.
  Task<io::Fd> accept_fd(const char* type);
  /// Without waiting: the next connection's descriptor, or nothing if none is there. Errors
  /// that concern one connection are skipped as above; every other one, running out of
  /// descriptors included, is thrown (a call that does not wait cannot pause).
  std::optional<io::Fd> try_accept_fd(const char* type);
  void close_listener() noexcept;

 private:
  std::unique_ptr<io::Acceptor> acceptor_;  // made by the first accept
  std::uint64_t pauses_ = 0;
};

}  // namespace tide::net::detail
