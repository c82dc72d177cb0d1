/* Reference echo server: a hand-tuned liburing 2.3 loop in C, the io_uring anchor of the echo
 * benchmark.
 *
 * Tuning (the design the team's measurements found cheapest on kernel 6.18; docs/design.md,
 * "Figures"): one thread; a
 * ring set up with SINGLE_ISSUER|DEFER_TASKRUN (COOP_TASKRUN, then no flag, if the kernel
 * refuses); one multishot accept; one multishot recv per connection that takes buffers from a
 * provided-buffer ring (1,024 x 2 KiB unless --buffers/--buffer-size say otherwise; 64 KiB
 * messages want 64 KiB buffers); the echo is sent straight from the received buffers, which go
 * back to the ring when the send completes; one io_uring_submit_and_wait per loop iteration.
 * A connection sends one SQE at a time (a send, or a sendmsg gathering up to 16 queued buffers)
 * so bytes stay in order. When a connection holds 16 buffers its multishot recv is cancelled and
 * re-armed once the queue drains, so a peer that stops reading cannot empty the ring for the
 * others; a multishot recv that ends with ENOBUFS is re-armed.
 *
 * Usage: echo_raw_uring [--host 127.0.0.1] [--port 0] [--buffers 1024] [--buffer-size 2048]
 * Prints `listening on <host>:<port>` once ready; exits 0 on SIGINT or SIGTERM. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { BACKLOG = 4096, BUFFER_GROUP = 0, QUEUE_CAP = 16, MAX_GATHER = 16 };

/* user_data: the operation in the top 32 bits, the socket in the low 32. A socket has at most
 * one recv and one send in flight, so (op, fd) names one SQE. */
enum op { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CANCEL, OP_SIGNAL };

static uint64_t tag(enum op op, int fd) {
  return ((uint64_t)op << 32) | (uint32_t)fd;
}

/* Connection state bits. ARMED: a multishot recv is in flight. SENDING: a send is in flight
 * (its buffers are the first ones in the queue). CANCELLED: we asked the kernel to cancel the
 * recv (queue at the cap, or the connection failed); cleared when the recv is re-armed. PEER_EOF:
 * the peer closed its side; the queue is still echoed. FAILED: a recv or send failed; nothing
 * more is sent and the queue is dropped once nothing is in flight. LIVE: the slot holds an open
 * socket. */
enum { ARMED = 1, SENDING = 2, CANCELLED = 4, PEER_EOF = 8, FAILED = 16, LIVE = 32 };

/* One connection, indexed by its fd. The received buffers waiting to be echoed form a FIFO
 * linked through next_buffer[]: `head` is the oldest (its first `sent` bytes already went out),
 * `tail` the newest; both mean nothing while `queued` is 0. `gather` is the sendmsg block of the
 * send in flight, or NULL when that send is a plain send. */
struct conn {
  uint16_t head, tail, queued;
  uint8_t state;
  uint32_t sent;
  struct gather* gather;
};

struct gather {
  struct msghdr msg;
  struct iovec iov[MAX_GATHER];
};

static struct io_uring ring;
static struct io_uring_buf_ring* buffer_ring;
static char* buffer_memory;
static unsigned buffer_count = 1024, buffer_size = 2048;
static uint16_t* next_buffer;   /* next_buffer[bid]: the buffer after bid in its queue */
static uint32_t* buffer_length; /* buffer_length[bid]: bytes received into bid */
static int recycled_this_batch; /* buffers added to the ring but not yet published */
static struct conn* conns;      /* indexed by fd, RLIMIT_NOFILE entries */
static size_t conn_capacity;

static void die(const char* what, int err) {
  fprintf(stderr, "%s: %s\n", what, strerror(err));
  exit(1);
}

static struct io_uring_sqe* get_sqe(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  while (sqe == NULL) { /* the SQ is full: hand it to the kernel and take a fresh one */
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

static char* buffer_at(uint16_t bid) {
  return buffer_memory + (size_t)bid * buffer_size;
}

static void recycle(uint16_t bid) {
  io_uring_buf_ring_add(buffer_ring, buffer_at(bid), buffer_size, bid,
                        io_uring_buf_ring_mask(buffer_count), recycled_this_batch++);
}

static void arm_recv(int fd) {
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BUFFER_GROUP;
  io_uring_sqe_set_data64(sqe, tag(OP_RECV, fd));
  conns[fd].state = (uint8_t)((conns[fd].state | ARMED) & ~CANCELLED);
}

static void cancel_recv(int fd) {
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_cancel64(sqe, tag(OP_RECV, fd), 0);
  io_uring_sqe_set_data64(sqe, tag(OP_CANCEL, fd));
  conns[fd].state |= CANCELLED;
}

/* Sends the queue's head (or gathers up to MAX_GATHER queued buffers into one sendmsg). */
static void start_send(int fd) {
  struct conn* c = &conns[fd];
  struct io_uring_sqe* sqe = get_sqe();
  if (c->queued == 1) {
    io_uring_prep_send(sqe, fd, buffer_at(c->head) + c->sent, buffer_length[c->head] - c->sent,
                       MSG_NOSIGNAL);
  } else {
    struct gather* g = malloc(sizeof *g);
    if (g == NULL) die("malloc", ENOMEM);
    memset(&g->msg, 0, sizeof g->msg);
    uint16_t bid = c->head;
    size_t n = 0;
    for (; n < c->queued && n < MAX_GATHER; ++n, bid = next_buffer[bid]) {
      size_t skip = n == 0 ? c->sent : 0;
      g->iov[n].iov_base = buffer_at(bid) + skip;
      g->iov[n].iov_len = buffer_length[bid] - skip;
    }
    g->msg.msg_iov = g->iov;
    g->msg.msg_iovlen = n;
    c->gather = g;
    io_uring_prep_sendmsg(sqe, fd, &g->msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(sqe, tag(OP_SEND, fd));
  c->state |= SENDING;
}

static void drop_queue(struct conn* c) {
  for (; c->queued > 0; --c->queued, c->head = next_buffer[c->head])
    recycle(c->head);
  c->sent = 0;
}

/* After every change of a connection's state: close it once nothing is in flight and nothing
 * is left to echo, or re-arm its recv once it may read again. */
static void settle(int fd) {
  struct conn* c = &conns[fd];
  if (c->state & (ARMED | SENDING)) return;
  if ((c->state & FAILED) || ((c->state & PEER_EOF) && c->queued == 0)) {
    drop_queue(c);
    close(fd);
    memset(c, 0, sizeof *c);
    return;
  }
  if (!(c->state & PEER_EOF) && (!(c->state & CANCELLED) || c->queued == 0)) arm_recv(fd);
}

/* The queue is dropped by settle(), once no send uses its buffers. */
static void fail(int fd) {
  struct conn* c = &conns[fd];
  c->state |= FAILED;
  if ((c->state & ARMED) && !(c->state & CANCELLED)) cancel_recv(fd);
}

static void on_recv(int fd, int res, unsigned flags) {
  struct conn* c = &conns[fd];
  if (res > 0) {
    uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
    if (c->state & FAILED) {
      recycle(bid);
    } else {
      buffer_length[bid] = (uint32_t)res;
      if (c->queued == 0) {
        c->head = bid;
      } else {
        next_buffer[c->tail] = bid;
      }
      c->tail = bid;
      ++c->queued;
      if (!(c->state & SENDING)) start_send(fd);
      if (c->queued >= QUEUE_CAP && (c->state & ARMED) && !(c->state & CANCELLED)) cancel_recv(fd);
    }
  }
  if (flags & IORING_CQE_F_MORE) return;
  c->state &= (uint8_t)~ARMED;
  if (res == 0) {
    c->state |= PEER_EOF;
  } else if (res < 0 && res != -ENOBUFS && res != -ECANCELED) {
    fail(fd);
  }
  /* ENOBUFS, ECANCELED (our cap) and a multishot the kernel ended early are re-armed here. */
  settle(fd);
}

static void on_send(int fd, int res) {
  struct conn* c = &conns[fd];
  c->state &= (uint8_t)~SENDING;
  free(c->gather);
  c->gather = NULL;
  if (res < 0) {
    fail(fd);
  } else if (!(c->state & FAILED)) {
    size_t done = (size_t)res;
    while (done > 0) {
      size_t left = buffer_length[c->head] - c->sent;
      if (done < left) {
        c->sent += (uint32_t)done;
        break;
      }
      done -= left;
      c->sent = 0;
      recycle(c->head);
      c->head = next_buffer[c->head];
      --c->queued;
    }
    if (c->queued > 0) start_send(fd);
  }
  settle(fd);
}

static void arm_accept(int lfd) {
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag(OP_ACCEPT, lfd));
}

static void on_accept(int lfd, int res, unsigned flags) {
  if (res >= 0) {
    if ((size_t)res >= conn_capacity) die("accept: fd beyond RLIMIT_NOFILE", EMFILE);
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[res].state = LIVE;
    arm_recv(res);
  }
  /* Errors (EMFILE and friends) end nothing but this attempt: the multishot goes on, or is
   * re-armed below. */
  if (!(flags & IORING_CQE_F_MORE)) arm_accept(lfd);
}

static void setup_ring(void) {
  static const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int err = 0;
  for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; ++i) {
    struct io_uring_params p = {.flags = attempts[i] | IORING_SETUP_CQSIZE, .cq_entries = 16384};
    err = io_uring_queue_init_params(4096, &ring, &p);
    if (err == 0) {
      if (i > 0) fprintf(stderr, "io_uring: setup flags %#x refused\n", attempts[0]);
      break;
    }
  }
  if (err < 0) die("io_uring_queue_init_params", -err);

  /* liburing 2.3 has no io_uring_setup_buf_ring: allocate the ring memory ourselves
   * (page-aligned, as the kernel requires) and register it. */
  size_t ring_bytes = buffer_count * sizeof(struct io_uring_buf);
  if (posix_memalign((void**)&buffer_ring, 4096, ring_bytes) != 0) die("posix_memalign", ENOMEM);
  memset(buffer_ring, 0, ring_bytes);
  io_uring_buf_ring_init(buffer_ring);
  struct io_uring_buf_reg reg = {
      .ring_addr = (uint64_t)(uintptr_t)buffer_ring,
      .ring_entries = buffer_count,
      .bgid = BUFFER_GROUP,
  };
  err = io_uring_register_buf_ring(&ring, &reg, 0);
  if (err < 0) die("io_uring_register_buf_ring", -err);
  buffer_memory = malloc((size_t)buffer_count * buffer_size);
  next_buffer = calloc(buffer_count, sizeof *next_buffer);
  buffer_length = calloc(buffer_count, sizeof *buffer_length);
  if (buffer_memory == NULL || next_buffer == NULL || buffer_length == NULL) die("malloc", ENOMEM);
  for (unsigned bid = 0; bid < buffer_count; ++bid)
    recycle((uint16_t)bid);
  io_uring_buf_ring_advance(buffer_ring, recycled_this_batch);
  recycled_this_batch = 0;
}

static int listen_on(const char* host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", host);
    exit(2);
  }
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind", errno);
  if (listen(fd, BACKLOG) < 0) die("listen", errno);
  socklen_t len = sizeof addr;
  getsockname(fd, (struct sockaddr*)&addr, &len);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--buffers") == 0 && i + 1 < argc) {
      buffer_count = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--buffer-size") == 0 && i + 1 < argc) {
      buffer_size = (unsigned)atoi(argv[++i]);
    } else {
      fprintf(stderr,
              "usage: %s [--host 127.0.0.1] [--port 0] [--buffers 1024] "
              "[--buffer-size 2048]\n",
              argv[0]);
      return 2;
    }
  }
  /* The kernel wants a power-of-two ring of at most 32,768 entries; buffer ids are 16-bit. */
  if (buffer_count == 0 || buffer_count > 32768 || (buffer_count & (buffer_count - 1)) != 0 ||
      buffer_size == 0) {
    fprintf(stderr, "--buffers must be a power of two up to 32768, --buffer-size > 0\n");
    return 2;
  }

  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  conn_capacity = lim.rlim_cur;
  conns = calloc(conn_capacity, sizeof *conns);
  if (conns == NULL) die("calloc", ENOMEM);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd", errno);

  setup_ring();
  int lfd = listen_on(host, port);
  arm_accept(lfd);
  static struct signalfd_siginfo siginfo;
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, sfd, &siginfo, sizeof siginfo, 0);
  io_uring_sqe_set_data64(sqe, tag(OP_SIGNAL, sfd));

  for (;;) {
    int err = io_uring_submit_and_wait(&ring, 1);
    if (err < 0 && err != -EINTR) die("io_uring_submit_and_wait", -err);
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t data = io_uring_cqe_get_data64(cqe);
      int fd = (int)(uint32_t)data;
      switch ((enum op)(data >> 32)) {
        case OP_ACCEPT:
          on_accept(fd, cqe->res, cqe->flags);
          break;
        case OP_RECV:
          on_recv(fd, cqe->res, cqe->flags);
          break;
        case OP_SEND:
          on_send(fd, cqe->res);
          break;
        case OP_CANCEL:
          break;
        case OP_SIGNAL:
          return 0;
      }
    }
    io_uring_cq_advance(&ring, seen);
    if (recycled_this_batch > 0) {
      io_uring_buf_ring_advance(buffer_ring, recycled_this_batch);
      recycled_this_batch = 0;
    }
  }
}
