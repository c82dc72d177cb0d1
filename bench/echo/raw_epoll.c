/* Reference echo server: a raw epoll loop in C, the anchor the echo benchmark divides by.
 *
 * Tuning (the team's measurements found this at epoll's ceiling): one thread, level-triggered
 * epoll, every connection registered once for EPOLLIN, one shared 64 KiB read buffer, recv then
 * send at once with no re-arming. Only a short send changes the registration: the unsent rest is
 * copied aside and the connection waits for EPOLLOUT (not reading meanwhile, so a peer that
 * stops reading cannot make us buffer without bound), then goes back to EPOLLIN.
 *
 * Usage: echo_raw_epoll [--host 127.0.0.1] [--port 0]
 * Prints `listening on <host>:<port>` once ready; exits 0 on SIGINT or SIGTERM. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_BUFFER_SIZE = 64 * 1024, MAX_EVENTS = 1024, BACKLOG = 4096 };

/* One connection. `pending` holds the bytes a short send left over; it is NULL while the
 * connection is registered for EPOLLIN and non-NULL (with off < len) while it waits for
 * EPOLLOUT. */
struct conn {
  int fd;
  char* pending;
  size_t len;
  size_t off;
};

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void parse_args(int argc, char** argv, const char** host, int* port) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      *host = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      *port = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--host 127.0.0.1] [--port 0]\n", argv[0]);
      exit(2);
    }
  }
}

static int listen_on(const char* host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", host);
    exit(2);
  }
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
  if (listen(fd, BACKLOG) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(fd, (struct sockaddr*)&addr, &len);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

static void close_conn(struct conn* c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->pending);
  free(c);
}

static void set_events(int ep, struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl MOD");
}

/* Sends buf[0, len); on a short send keeps the rest and switches to EPOLLOUT. Returns -1 when
 * the connection failed and was closed. */
static int send_or_keep(int ep, struct conn* c, const char* buf, size_t len) {
  ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN) {
      close_conn(c);
      return -1;
    }
    n = 0;
  }
  if ((size_t)n < len) {
    c->pending = malloc(len - (size_t)n);
    if (c->pending == NULL) die("malloc");
    memcpy(c->pending, buf + n, len - (size_t)n);
    c->len = len - (size_t)n;
    c->off = 0;
    set_events(ep, c, EPOLLOUT);
  }
  return 0;
}

static void on_writable(int ep, struct conn* c) {
  ssize_t n = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN) close_conn(c);
    return;
  }
  c->off += (size_t)n;
  if (c->off == c->len) {
    free(c->pending);
    c->pending = NULL;
    set_events(ep, c, EPOLLIN);
  }
}

static void on_readable(int ep, struct conn* c, char* buf) {
  ssize_t n = recv(c->fd, buf, READ_BUFFER_SIZE, 0);
  if (n > 0) {
    send_or_keep(ep, c, buf, (size_t)n);
  } else if (n == 0 || errno != EAGAIN) {
    close_conn(c);
  }
}

static void accept_all(int ep, int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or EMFILE and friends: try again on the next event */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    if (c == NULL) die("calloc");
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl ADD");
  }
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 0;
  parse_args(argc, argv, &host, &port);

  /* The signals arrive through a signalfd in the epoll set, so the loop needs no flag. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) die("signalfd");

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  int lfd = listen_on(host, port);
  /* The listener and the signalfd are told apart from connections by their data.ptr. */
  static int listener_tag, signal_tag;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listener_tag};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &signal_tag;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

  static char buf[READ_BUFFER_SIZE];
  static struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listener_tag) {
        accept_all(ep, lfd);
      } else if (tag == &signal_tag) {
        return 0;
      } else {
        struct conn* c = tag;
        if (c->pending != NULL) {
          on_writable(ep, c);
        } else {
          on_readable(ep, c, buf);
        }
      }
    }
  }
}
