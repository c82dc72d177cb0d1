// Words for an I/O operation: in error messages ("tide: recv from fd 7") and in Loop::dump
// ("recv from fd 7 (tcp 127.0.0.1:40000 <- 127.0.0.1:8080) (io_uring)").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <tide/io/detail/io_awaiter.hpp>

namespace tide::io::detail {

namespace {

const char* verb(const IoOp& op) {
  switch (op.kind) {
    case IoOp::Kind::read:
      return "read from";
    case IoOp::Kind::write:
      return "write to";
    case IoOp::Kind::readv:
      return "readv from";
    case IoOp::Kind::writev:
      return "writev to";
    case IoOp::Kind::recv:
    case IoOp::Kind::recv_multishot:
      return "recv from";
    case IoOp::Kind::send:
      return "send to";
    case IoOp::Kind::recvmsg:
      return "recvmsg from";
    case IoOp::Kind::sendmsg:
      return "sendmsg to";
    case IoOp::Kind::accept:
    case IoOp::Kind::accept_multishot:
      return "accept on";
    case IoOp::Kind::connect:
      return "connect of";
    case IoOp::Kind::poll:
      return "waiting for readiness of";
  }
  return "I/O on";
}

std::string address_text(const sockaddr_storage& a, socklen_t length) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    // Appended, not prepended: g++ 12 -O3 warns (-Wrestrict, wrongly) on "[" + std::string.
    std::string text = "[";
    text.append(host).append("]:").append(std::to_string(ntohs(in6.sin6_port)));
    return text;
  }
  if (a.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(a);
    const auto path_length =
        length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
    if (path_length == 0) return "unnamed";
    if (un.sun_path[0] == '\0') {  // abstract: shown as "@name"
      std::string text = "@";
      text.append(un.sun_path + 1, path_length - 1);
      return text;
    }
    return std::string(un.sun_path, ::strnlen(un.sun_path, path_length));
  }
  return "?";
}

// "tcp 127.0.0.1:8080 <- 127.0.0.1:40000" for a socket, or empty.
std::string socket_text(int fd) {
  sockaddr_storage local{}, peer{};
  socklen_t local_length = sizeof local, peer_length = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) return {};
  int type = 0;
  socklen_t type_length = sizeof type;
  ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length);
  const char* family = local.ss_family == AF_UNIX ? "unix" : type == SOCK_DGRAM ? "udp" : "tcp";
  std::string text = std::string(family) + " " + address_text(local, local_length);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0)
    text += " <- " + address_text(peer, peer_length);
  return text;
}

// The process a pidfd stands for (its fdinfo has a "Pid:" line), or 0.
long pidfd_pid(int fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  std::FILE* info = std::fopen(path, "r");
  if (info == nullptr) return 0;
  long pid = 0;
  char line[128];
  while (std::fgets(line, sizeof line, info) != nullptr)
    if (std::sscanf(line, "Pid: %ld", &pid) == 1) break;
  std::fclose(info);
  return pid;
}

}  // namespace

std::string describe_op(const IoOp& op) {
  return std::string("tide: ") + verb(op) + " fd " + std::to_string(op.fd);
}

std::string describe_waiting_op(const IoOp& op, std::string_view backend) {
  std::string text;
  if (op.kind == IoOp::Kind::poll) {
    if (const long pid = pidfd_pid(op.fd); pid > 0) {
      text = "child process " + std::to_string(pid) + " (pidfd " + std::to_string(op.fd) + ")";
    } else {
      const bool read = op.poll_events & (POLLIN | POLLPRI | POLLRDHUP);
      const bool write = op.poll_events & POLLOUT;
      text = "fd " + std::to_string(op.fd) + " to become " +
             (read && write ? "readable or writable"
              : write       ? "writable"
                            : "readable");
    }
  } else {
    text = std::string(verb(op)) + " fd " + std::to_string(op.fd);
  }
  if (op.kind != IoOp::Kind::poll || text[0] == 'f')
    if (std::string sock = socket_text(op.fd); !sock.empty()) text += " (" + sock + ")";
  return text + " (" + std::string(backend) + ")";
}

}  // namespace tide::io::detail
