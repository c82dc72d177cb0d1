// I/O through socketpairs: tide on each backend beside a raw loop written for the purpose on
// the same kernel interface (raw epoll, raw liburing). Names: BM_<what><Backend>_tide and
// BM_<what><Backend>_raw, so bench/compare.py pairs them.
#include <benchmark/benchmark.h>
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include <tide/tide.hpp>

namespace {

constexpr std::size_t message = 64;        // bytes per ping
constexpr std::size_t read_buffer = 4096;  // what a server reads into, on both sides
constexpr std::size_t bulk_chunk = 64 * 1024;

struct SocketPair {
  SocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
      std::abort();
    a = tide::io::Fd(fds[0]);
    b = tide::io::Fd(fds[1]);
  }
  tide::io::Fd a, b;
};

tide::Loop::Options options_for(tide::Backend backend) {
  tide::Loop::Options options;
  options.backend = backend;
  return options;
}

// ---- tide ------------------------------------------------------------------------------

tide::Task<void> echo(int fd, long rounds) {
  std::array<std::byte, read_buffer> buf{};
  for (long i = 0; i < rounds; ++i) {
    std::size_t got = 0;
    while (got < message)
      got += co_await tide::io::recv(fd, buf);
    co_await tide::io::send(fd, std::span(buf).first(message));
  }
}

tide::Task<void> ping(int fd, long rounds) {
  std::array<std::byte, read_buffer> buf{};
  for (long i = 0; i < rounds; ++i) {
    co_await tide::io::send(fd, std::span(buf).first(message));
    std::size_t got = 0;
    while (got < message)
      got += co_await tide::io::recv(fd, buf);
  }
}

// One pinging task and one echoing task per socketpair, `rounds` round trips each.
tide::Task<void> ping_pong(std::vector<SocketPair>& sockets, long rounds) {
  tide::TaskGroup group;
  for (auto& s : sockets) {
    group.spawn(echo(s.b.get(), rounds));
    group.spawn(ping(s.a.get(), rounds));
  }
  co_await group.join();
}

// The same over io::Receiver: on io_uring one multishot recv per socket into a shared
// provided-buffer ring, and the echo sends straight from the received buffer.
tide::Task<void> echo_chunks(int fd, tide::io::BufferPool& pool, long rounds) {
  tide::io::Receiver in(fd, pool);
  for (long i = 0; i < rounds; ++i) {
    std::size_t got = 0;
    while (got < message) {
      tide::io::Chunk c = co_await in.receive();
      got += c.size();
      if (got >= message) co_await tide::io::send(fd, c.bytes());
    }
  }
}

tide::Task<void> ping_chunks(int fd, tide::io::BufferPool& pool, long rounds) {
  tide::io::Receiver in(fd, pool);
  std::array<std::byte, message> out{};
  for (long i = 0; i < rounds; ++i) {
    co_await tide::io::send(fd, out);
    std::size_t got = 0;
    while (got < message)
      got += (co_await in.receive()).size();
  }
}

tide::Task<void> ping_pong_chunks(std::vector<SocketPair>& sockets, long rounds) {
  tide::io::BufferPool pool(4096, 2048);
  tide::TaskGroup group;
  for (auto& s : sockets) {
    group.spawn(echo_chunks(s.b.get(), pool, rounds));
    group.spawn(ping_chunks(s.a.get(), pool, rounds));
  }
  co_await group.join();
}

// Sockets and loop are set up once; an iteration is `rounds` round trips on every pair.
long rounds_for(int pairs) {
  return pairs == 1 ? 10'000 : 100;
}

void tide_ping_pong(benchmark::State& state, tide::Backend backend, int pairs) {
  const long rounds = rounds_for(pairs);
  std::vector<SocketPair> sockets(pairs);
  tide::Loop loop(options_for(backend));
  for (auto _ : state)
    loop.run_until_complete(ping_pong(sockets, rounds));
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

void tide_ping_pong_chunks(benchmark::State& state, tide::Backend backend, int pairs) {
  const long rounds = rounds_for(pairs);
  std::vector<SocketPair> sockets(pairs);
  tide::Loop loop(options_for(backend));
  for (auto _ : state)
    loop.run_until_complete(ping_pong_chunks(sockets, rounds));
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

tide::Task<void> bulk(long chunks) {
  SocketPair s;
  int one = 1 << 20;
  ::setsockopt(s.a.get(), SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
  ::setsockopt(s.b.get(), SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
  auto reader = tide::spawn([](int fd, long total) -> tide::Task<void> {
    std::vector<std::byte> buf(bulk_chunk);
    long left = total;
    while (left > 0)
      left -= static_cast<long>(co_await tide::io::read(fd, buf));
  }(s.b.get(), chunks * static_cast<long>(bulk_chunk)));
  std::vector<std::byte> data(bulk_chunk, std::byte{7});
  for (long i = 0; i < chunks; ++i) {
    std::span<const std::byte> left(data);
    while (!left.empty())
      left = left.subspan(co_await tide::io::write(s.a.get(), left));
  }
  co_await reader;
}

void tide_bulk(benchmark::State& state, tide::Backend backend) {
  const long chunks = 2'000;
  for (auto _ : state)
    tide::run(bulk(chunks), options_for(backend));
  state.SetBytesProcessed(state.iterations() * chunks * static_cast<long>(bulk_chunk));
}

// ---- echo through lent buffers: fixed 2 KiB buffers against 64 KiB shared slabs -----------
// Every socket (pinger and echoer) reads through one io::Receiver from one BufferPool; the
// echoer sends each chunk back as it arrives. "fixed" is the pool as it was before slabs: on
// io_uring 4,096 buffers of 2 KiB, one per received chunk (incremental consumption off);
// "slabs" is at most 256 x 64 KiB, packed. Counters: the pool's touched KiB.

struct EchoSetup {
  std::size_t message;
  bool incremental;
  std::size_t count;
  std::size_t size;
};
constexpr EchoSetup fixed_small{64, false, 4096, 2048};
constexpr EchoSetup slabs_small{64, true, 256, 64 * 1024};
constexpr EchoSetup fixed_large{64 * 1024, false, 4096, 2048};
constexpr EchoSetup slabs_large{64 * 1024, true, 256, 64 * 1024};

void widen_send_buffer(int fd) {
  int bytes = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

tide::Task<void> send_whole(int fd, std::span<const std::byte> data) {
  while (!data.empty())
    data = data.subspan(co_await tide::io::send(fd, data));
}

tide::Task<void> lent_echo(int fd, tide::io::BufferPool& pool, std::size_t size, long rounds) {
  tide::io::Receiver in(fd, pool);
  for (long i = 0; i < rounds; ++i) {
    std::size_t got = 0;
    while (got < size) {
      tide::io::Chunk c = co_await in.receive();
      got += c.size();
      co_await send_whole(fd, c.bytes());
    }
  }
}

tide::Task<void> lent_ping(int fd, tide::io::BufferPool& pool, std::size_t size, long rounds) {
  tide::io::Receiver in(fd, pool);
  std::vector<std::byte> out(size, std::byte{1});
  for (long i = 0; i < rounds; ++i) {
    co_await send_whole(fd, out);
    std::size_t got = 0;
    while (got < size)
      got += (co_await in.receive()).size();
  }
}

tide::Task<void> lent_ping_pong(std::vector<SocketPair>& sockets, tide::io::BufferPool& pool,
                                std::size_t size, long rounds) {
  tide::TaskGroup group;
  for (auto& s : sockets) {
    group.spawn(lent_echo(s.b.get(), pool, size, rounds));
    group.spawn(lent_ping(s.a.get(), pool, size, rounds));
  }
  co_await group.join();
}

void tide_lent_echo(benchmark::State& state, tide::Backend backend, int pairs, EchoSetup setup) {
  const long rounds = setup.message > 1024 ? 20 : (pairs == 1 ? 10'000 : 100);
  std::vector<SocketPair> sockets(pairs);
  for (auto& s : sockets) {
    widen_send_buffer(s.a.get());
    widen_send_buffer(s.b.get());
  }
  tide::Loop::Options options = options_for(backend);
  options.io_uring_incremental_buffers = setup.incremental;
  tide::Loop loop(options);
  tide::io::BufferPool pool(loop, setup.count, setup.size);
  for (auto _ : state)
    loop.run_until_complete(lent_ping_pong(sockets, pool, setup.message, rounds));
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
  state.counters["touched_KiB"] = static_cast<double>(pool.touched()) / 1024;
}

// Raw epoll with the same traffic: level-triggered, one 64 KiB read buffer for every socket,
// recv then send at once (the send buffers are wide enough never to refuse a message).
void raw_epoll_echo(benchmark::State& state, int pairs, std::size_t size) {
  const long rounds = size > 1024 ? 20 : 100;
  struct Peer {
    int fd;
    bool pinger;
    long left = 0;
    std::size_t got = 0;
  };
  std::vector<SocketPair> sockets(pairs);
  std::vector<Peer> peers;
  peers.reserve(2 * static_cast<std::size_t>(pairs));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& s : sockets) {
    widen_send_buffer(s.a.get());
    widen_send_buffer(s.b.get());
    peers.push_back({s.a.get(), true});
    peers.push_back({s.b.get(), false});
  }
  for (auto& p : peers) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &p;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
  }
  std::vector<char> buf(64 * 1024);
  std::vector<char> out(size, 1);
  auto send_full = [](int fd, const char* data, std::size_t n) {
    while (n > 0) {
      ssize_t r = ::send(fd, data, n, MSG_NOSIGNAL);
      if (r < 0) std::abort();  // the send buffers hold a whole round's bytes
      data += r;
      n -= static_cast<std::size_t>(r);
    }
  };
  for (auto _ : state) {
    int active = pairs;
    for (auto& p : peers) {
      if (!p.pinger) continue;
      p.left = rounds;
      p.got = 0;
      send_full(p.fd, out.data(), size);
    }
    std::array<epoll_event, 256> events;
    while (active > 0) {
      int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
      for (int i = 0; i < n; ++i) {
        Peer& p = *static_cast<Peer*>(events[i].data.ptr);
        ssize_t r = ::recv(p.fd, buf.data(), buf.size(), 0);
        if (r <= 0) continue;
        if (!p.pinger) {
          send_full(p.fd, buf.data(), static_cast<std::size_t>(r));
          continue;
        }
        p.got += static_cast<std::size_t>(r);
        if (p.got < size) continue;
        p.got = 0;
        if (--p.left == 0)
          --active;
        else
          send_full(p.fd, out.data(), size);
      }
    }
  }
  ::close(ep);
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

// ---- raw epoll: level-triggered, one state machine per socket ----------------------------

struct RawPeer {
  int fd;
  bool pinger;
  long rounds_left;
  std::size_t got = 0;
  std::array<char, read_buffer> buf{};
};

// Registered once (level-triggered), like the tide loop that lives across iterations.
void raw_epoll_ping_pong(int ep, std::vector<RawPeer>& peers, long rounds) {
  for (auto& p : peers) {
    p.rounds_left = rounds;
    p.got = 0;
    if (p.pinger) [[maybe_unused]]
      auto n = ::send(p.fd, p.buf.data(), message, MSG_NOSIGNAL);
  }
  long active = static_cast<long>(peers.size());
  std::array<epoll_event, 256> events;
  while (active > 0) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      auto& p = *static_cast<RawPeer*>(events[i].data.ptr);
      ssize_t r = ::recv(p.fd, p.buf.data(), read_buffer, 0);
      if (r <= 0) continue;
      p.got += static_cast<std::size_t>(r);
      if (p.got < message) continue;
      p.got = 0;
      if (--p.rounds_left == 0) {
        --active;
        if (!p.pinger) [[maybe_unused]]
          auto w = ::send(p.fd, p.buf.data(), message, MSG_NOSIGNAL);
        continue;
      }
      [[maybe_unused]] auto w = ::send(p.fd, p.buf.data(), message, MSG_NOSIGNAL);
    }
  }
}

void raw_epoll(benchmark::State& state, int pairs) {
  const long rounds = rounds_for(pairs);
  std::vector<SocketPair> sockets(pairs);
  std::vector<RawPeer> peers;
  peers.reserve(2 * sockets.size());
  for (auto& s : sockets) {
    peers.push_back({s.a.get(), true, 0});
    peers.push_back({s.b.get(), false, 0});
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& p : peers) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &p;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
  }
  for (auto _ : state)
    raw_epoll_ping_pong(ep, peers, rounds);
  ::close(ep);
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

// ---- raw liburing: recv and send SQEs, one submit_and_wait per round -------------------

// A free SQE, flushing the submission ring first when it is full.
io_uring_sqe* next_sqe(io_uring& ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (!sqe) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

void raw_uring_ping_pong(io_uring& ring, std::vector<SocketPair>& sockets, long rounds) {
  std::vector<RawPeer> peers;
  const long pairs = static_cast<long>(sockets.size());
  peers.reserve(2 * pairs);
  auto recv = [&](RawPeer& p) {
    io_uring_sqe* sqe = next_sqe(ring);
    io_uring_prep_recv(sqe, p.fd, p.buf.data(), read_buffer, 0);
    io_uring_sqe_set_data(sqe, &p);
  };
  auto send = [&](RawPeer& p) {
    io_uring_sqe* sqe = next_sqe(ring);
    io_uring_prep_send(sqe, p.fd, p.buf.data(), message, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, nullptr);
  };
  for (auto& s : sockets) {
    peers.push_back({s.a.get(), true, rounds});
    peers.push_back({s.b.get(), false, rounds});
  }
  for (auto& p : peers) {
    if (p.pinger) send(p);
    recv(p);
  }
  long active = 2L * pairs;
  while (active > 0) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      auto* p = static_cast<RawPeer*>(io_uring_cqe_get_data(cqe));
      if (p == nullptr || cqe->res <= 0) continue;
      p->got += static_cast<std::size_t>(cqe->res);
      if (p->got < message) {
        recv(*p);
        continue;
      }
      p->got = 0;
      if (--p->rounds_left == 0) {
        --active;
        if (!p->pinger) send(*p);
        continue;
      }
      send(*p);
      recv(*p);
    }
    io_uring_cq_advance(&ring, seen);
  }
}

void raw_uring(benchmark::State& state, int pairs) {
  const long rounds = rounds_for(pairs);
  std::vector<SocketPair> sockets(pairs);
  io_uring ring;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(4096, &ring, &params) < 0) std::abort();
  for (auto _ : state)
    raw_uring_ping_pong(ring, sockets, rounds);
  io_uring_queue_exit(&ring);
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

// ---- raw liburing, tuned: multishot recv into a provided-buffer ring, send from the buffer --

struct BufferRing {
  static constexpr unsigned count = 4096;
  static constexpr unsigned size = 2048;
  explicit BufferRing(io_uring& r) : ring(r), memory(std::size_t{count} * size) {
    void* m = ::mmap(nullptr, count * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::abort();
    br = static_cast<io_uring_buf_ring*>(m);
    io_uring_buf_ring_init(br);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(br);
    reg.ring_entries = count;
    reg.bgid = 0;
    if (io_uring_register_buf_ring(&ring, &reg, 0) != 0) std::abort();
    for (unsigned i = 0; i < count; ++i)
      add(static_cast<unsigned short>(i), static_cast<int>(i));
    io_uring_buf_ring_advance(br, count);
  }
  ~BufferRing() {
    io_uring_unregister_buf_ring(&ring, 0);
    ::munmap(br, count * sizeof(io_uring_buf));
  }
  char* buffer(unsigned id) { return memory.data() + std::size_t{id} * size; }
  void add(unsigned short id, int offset) {
    io_uring_buf_ring_add(br, buffer(id), size, id, io_uring_buf_ring_mask(count), offset);
  }
  void recycle(unsigned short id) {
    add(id, 0);
    io_uring_buf_ring_advance(br, 1);
  }
  io_uring& ring;
  std::vector<char> memory;
  io_uring_buf_ring* br;
};

void raw_uring_multishot_ping_pong(io_uring& ring, BufferRing& buffers,
                                   std::vector<SocketPair>& sockets, long rounds) {
  std::vector<RawPeer> peers;
  const long pairs = static_cast<long>(sockets.size());
  peers.reserve(2 * pairs);
  auto recv = [&](RawPeer& p) {
    io_uring_sqe* sqe = next_sqe(ring);
    io_uring_prep_recv_multishot(sqe, p.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data(sqe, &p);
  };
  auto send = [&](RawPeer& p, const char* data) {
    io_uring_sqe* sqe = next_sqe(ring);
    io_uring_prep_send(sqe, p.fd, data, message, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, nullptr);
  };
  for (auto& s : sockets) {
    peers.push_back({s.a.get(), true, rounds});
    peers.push_back({s.b.get(), false, rounds});
  }
  for (auto& p : peers) {
    if (p.pinger) send(p, p.buf.data());
    recv(p);
  }
  long active = 2L * pairs;
  std::vector<unsigned short> to_recycle;
  while (active > 0) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      auto* p = static_cast<RawPeer*>(io_uring_cqe_get_data(cqe));
      if (p == nullptr) continue;
      if (!(cqe->flags & IORING_CQE_F_MORE) && p->rounds_left > 0) recv(*p);
      if (cqe->res <= 0) continue;
      auto id = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
      // Recycled after the batch's sends are submitted: they read from these buffers.
      to_recycle.push_back(id);
      p->got += static_cast<std::size_t>(cqe->res);
      if (p->got < message) continue;
      p->got = 0;
      if (--p->rounds_left == 0) {
        --active;
        if (!p->pinger) send(*p, buffers.buffer(id));
        continue;
      }
      send(*p, p->pinger ? p->buf.data() : buffers.buffer(id));
    }
    io_uring_cq_advance(&ring, seen);
    if (!to_recycle.empty()) {
      io_uring_submit(&ring);
      for (auto id : to_recycle)
        buffers.recycle(id);
      to_recycle.clear();
    }
  }
  // Stop the multishot recvs (their sockets stay open for the next iteration).
  for (auto& p : peers) {
    io_uring_sqe* sqe = next_sqe(ring);
    io_uring_prep_cancel(sqe, &p, 0);
    io_uring_sqe_set_data(sqe, nullptr);
  }
  io_uring_submit(&ring);
  long ended = 0;
  while (ended < 2L * pairs) {
    io_uring_cqe* c;
    if (io_uring_wait_cqe(&ring, &c) != 0) std::abort();
    if (c->user_data != 0 && !(c->flags & IORING_CQE_F_MORE)) ++ended;
    if (c->user_data != 0 && (c->flags & IORING_CQE_F_BUFFER))
      buffers.recycle(static_cast<unsigned short>(c->flags >> IORING_CQE_BUFFER_SHIFT));
    io_uring_cqe_seen(&ring, c);
  }
}

void raw_uring_multishot(benchmark::State& state, int pairs) {
  const long rounds = rounds_for(pairs);
  std::vector<SocketPair> sockets(pairs);
  io_uring ring;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(4096, &ring, &params) < 0) std::abort();
  {
    BufferRing buffers(ring);
    for (auto _ : state)
      raw_uring_multishot_ping_pong(ring, buffers, sockets, rounds);
  }
  io_uring_queue_exit(&ring);
  state.SetItemsProcessed(state.iterations() * rounds * pairs);
}

// ---- bulk transfer ---------------------------------------------------------------------

void raw_uring_bulk(io_uring& ring, long chunks) {
  SocketPair s;
  int one = 1 << 20;
  ::setsockopt(s.a.get(), SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
  ::setsockopt(s.b.get(), SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
  std::vector<char> out(bulk_chunk, 7), in(bulk_chunk);
  long to_send = chunks * static_cast<long>(bulk_chunk), to_receive = to_send;
  std::size_t offset = 0;
  enum : std::uint64_t { reading = 1, writing = 2 };
  auto read = [&] {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read(sqe, s.b.get(), in.data(), bulk_chunk, -1);
    io_uring_sqe_set_data64(sqe, reading);
  };
  auto write = [&] {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_write(sqe, s.a.get(), out.data() + offset, bulk_chunk - offset, -1);
    io_uring_sqe_set_data64(sqe, writing);
  };
  read();
  write();
  while (to_receive > 0) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      if (cqe->res <= 0) std::abort();
      if (cqe->user_data == reading) {
        to_receive -= cqe->res;
        if (to_receive > 0) read();
      } else {
        offset = (offset + static_cast<std::size_t>(cqe->res)) % bulk_chunk;
        to_send -= cqe->res;
        if (to_send > 0) write();
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}

void raw_uring_bulk_bench(benchmark::State& state) {
  const long chunks = 2'000;
  io_uring ring;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(64, &ring, &params) < 0) std::abort();
  for (auto _ : state)
    raw_uring_bulk(ring, chunks);
  io_uring_queue_exit(&ring);
  state.SetBytesProcessed(state.iterations() * chunks * static_cast<long>(bulk_chunk));
}

void raw_epoll_bulk(long chunks) {
  SocketPair s;
  int one = 1 << 20;
  ::setsockopt(s.a.get(), SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
  ::setsockopt(s.b.get(), SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s.b.get();
  ::epoll_ctl(ep, EPOLL_CTL_ADD, s.b.get(), &ev);
  ev.events = EPOLLOUT;
  ev.data.fd = s.a.get();
  ::epoll_ctl(ep, EPOLL_CTL_ADD, s.a.get(), &ev);
  std::vector<char> out(bulk_chunk, 7), in(bulk_chunk);
  long to_send = chunks * static_cast<long>(bulk_chunk), to_receive = to_send;
  std::size_t offset = 0;
  std::array<epoll_event, 4> events;
  while (to_receive > 0) {
    int n = ::epoll_wait(ep, events.data(), 4, -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == s.b.get()) {
        ssize_t r = ::read(s.b.get(), in.data(), in.size());
        if (r > 0) to_receive -= r;
      } else if (to_send > 0) {
        ssize_t w = ::write(s.a.get(), out.data() + offset, bulk_chunk - offset);
        if (w > 0) {
          offset = (offset + static_cast<std::size_t>(w)) % bulk_chunk;
          to_send -= w;
        }
        if (to_send == 0) ::epoll_ctl(ep, EPOLL_CTL_DEL, s.a.get(), nullptr);
      }
    }
  }
  ::close(ep);
}

void raw_epoll_bulk_bench(benchmark::State& state) {
  const long chunks = 2'000;
  for (auto _ : state)
    raw_epoll_bulk(chunks);
  state.SetBytesProcessed(state.iterations() * chunks * static_cast<long>(bulk_chunk));
}

}  // namespace

BENCHMARK_CAPTURE(tide_ping_pong, BM_PingPongUring_tide, tide::Backend::IoUring, 1)
    ->Name("BM_PingPongUring_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_uring, BM_PingPongUring_raw, 1)
    ->Name("BM_PingPongUring_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong, BM_PingPongEpoll_tide, tide::Backend::Epoll, 1)
    ->Name("BM_PingPongEpoll_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_epoll, BM_PingPongEpoll_raw, 1)
    ->Name("BM_PingPongEpoll_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong, BM_PingPongPoll_tide, tide::Backend::Poll, 1)
    ->Name("BM_PingPongPoll_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong, BM_Pairs1000Uring_tide, tide::Backend::IoUring, 1000)
    ->Name("BM_Pairs1000Uring_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_uring, BM_Pairs1000Uring_raw, 1000)
    ->Name("BM_Pairs1000Uring_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong, BM_Pairs1000Epoll_tide, tide::Backend::Epoll, 1000)
    ->Name("BM_Pairs1000Epoll_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_epoll, BM_Pairs1000Epoll_raw, 1000)
    ->Name("BM_Pairs1000Epoll_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong_chunks, BM_Pairs1000UringMultishot_tide, tide::Backend::IoUring,
                  1000)
    ->Name("BM_Pairs1000UringMultishot_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_uring_multishot, BM_Pairs1000UringMultishot_raw, 1000)
    ->Name("BM_Pairs1000UringMultishot_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_ping_pong_chunks, BM_Pairs1000EpollChunks_tide, tide::Backend::Epoll, 1000)
    ->Name("BM_Pairs1000EpollChunks_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_epoll, BM_Pairs1000EpollChunks_raw, 1000)
    ->Name("BM_Pairs1000EpollChunks_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(raw_uring_bulk_bench)
    ->Name("BM_BulkUring_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_bulk, BM_BulkUring_tide, tide::Backend::IoUring)
    ->Name("BM_BulkUring_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_bulk, BM_BulkEpoll_tide, tide::Backend::Epoll)
    ->Name("BM_BulkEpoll_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(raw_epoll_bulk_bench)
    ->Name("BM_BulkEpoll_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Echo through lent buffers (see tide_lent_echo): 64 B at 1,000 pairs, 64 KiB at 50 pairs.
BENCHMARK_CAPTURE(tide_lent_echo, fixed64, tide::Backend::IoUring, 1000, fixed_small)
    ->Name("BM_Echo64UringFixed_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, slabs64, tide::Backend::IoUring, 1000, slabs_small)
    ->Name("BM_Echo64UringSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, epoll64, tide::Backend::Epoll, 1000, slabs_small)
    ->Name("BM_Echo64EpollSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_epoll_echo, raw64, 1000, 64)
    ->Name("BM_Echo64Epoll_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, fixed64k, tide::Backend::IoUring, 50, fixed_large)
    ->Name("BM_Echo64KUringFixed_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, slabs64k, tide::Backend::IoUring, 50, slabs_large)
    ->Name("BM_Echo64KUringSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, epoll64k, tide::Backend::Epoll, 50, slabs_large)
    ->Name("BM_Echo64KEpollSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(raw_epoll_echo, raw64k, 50, 64 * 1024)
    ->Name("BM_Echo64KEpoll_raw")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// The pool's memory with 9,000 pairs (18,000 receivers, the most this machine's fd limit
// allows) and 64 B messages: the touched_KiB counter.
BENCHMARK_CAPTURE(tide_lent_echo, slabs9000, tide::Backend::IoUring, 9000, slabs_small)
    ->Name("BM_Echo64Pairs9000UringSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, fixed9000, tide::Backend::IoUring, 9000, fixed_small)
    ->Name("BM_Echo64Pairs9000UringFixed_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tide_lent_echo, epoll9000, tide::Backend::Epoll, 9000, slabs_small)
    ->Name("BM_Echo64Pairs9000EpollSlabs_tide")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
