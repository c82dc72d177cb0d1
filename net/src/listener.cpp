#include <tide/net/detail/listener.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#include <tide/core/sleep.hpp>

#include "net/src/system.hpp"

namespace tide::net::detail {

namespace {

// The connection went away between the kernel queueing it and our accept: take the next.
bool concerns_one_connection(int error) {
  switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case EPERM:  // a firewall rule refused it
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EAGAIN:
      return true;
    default:
      return false;
  }
}

// The process or the system is out of something that frees up when connections close.
bool out_of_resources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

Listener::Listener() noexcept = default;
Listener::Listener(io::Fd fd) noexcept : Socket(std::move(fd)) {}
Listener::Listener(Listener&&) noexcept = default;
Listener::~Listener() = default;

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    close_listener();
    acceptor_ = std::move(other.acceptor_);
    pauses_ = other.pauses_;
    fd_ = std::move(other.fd_);
  }
  return *this;
}

void Listener::close_listener() noexcept {
  acceptor_.reset();  // waiting accepts get EBADF; queued connections are closed
  fd_.close();
}

Task<io::Fd> Listener::accept_fd(const char* type) {
  using namespace std::chrono_literals;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (!fd_) throw_errno(EBADF, std::string(type) + "::accept: the listener is closed");
    if (!acceptor_) acceptor_ = std::make_unique<io::Acceptor>(fd_.get());
    int error = 0;
    try {
      co_return co_await acceptor_->accept();
    } catch (const std::system_error& e) {
      if (e.code().category() != std::system_category()) throw;
      error = e.code().value();
    }
    if (!fd_) throw_errno(EBADF, std::string(type) + "::accept: the listener was closed");
    if (concerns_one_connection(error)) continue;
    if (!out_of_resources(error))
      throw_errno(error, std::string(type) + "::accept on fd " + std::to_string(fd_.get()));
    // Out of descriptors: the listener stays readable, so trying again at once would spin.
    // The connections wait in the backlog; try again after a pause that grows to 100 ms.
    ++pauses_;
    co_await tide::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

std::optional<io::Fd> Listener::try_accept_fd(const char* type) {
  if (!fd_) throw_errno(EBADF, std::string(type) + "::try_accept: the listener is closed");
  if (!acceptor_) acceptor_ = std::make_unique<io::Acceptor>(fd_.get());
  for (;;) {
    try {
      return acceptor_->try_accept();
    } catch (const std::system_error& e) {
      if (e.code().category() != std::system_category()) throw;
      const int error = e.code().value();
      if (concerns_one_connection(error)) continue;
      throw_errno(error, std::string(type) + "::try_accept on fd " + std::to_string(fd_.get()));
    }
  }
}

}  // namespace tide::net::detail
