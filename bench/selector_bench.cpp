// Selector: one select() round with N registered fds of which one is ready, on each backend.
// Each round writes a byte into one socket (a different one each time), awaits select(), and
// reads the byte back from the fd it reports; the time per round should not grow with N
// (except on the poll backend, whose poll(2) walks every waiting fd), since a key's poll is
// re-armed only after its readiness was reported. `_noverify` switches off the fstat that
// checks each reported fd still names its registered file.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/task.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/selector.hpp>

namespace {

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

tide::Task<void> rounds(benchmark::State& state, std::vector<SocketPair>& pairs, bool verify) {
  tide::Selector sel(tide::Selector::Options{.verify_files = verify});
  for (auto& p : pairs) {
    sel.register_fd(p.a.get(), tide::Events::read);
    sel.register_fd(p.b.get(), tide::Events::read);
  }
  char byte = 'x';
  std::size_t next = 0;
  for (auto _ : state) {
    SocketPair& p = pairs[next];
    next = (next + 7) % pairs.size();  // a different fd each round, not in registration order
    if (::write(p.b.get(), &byte, 1) != 1) std::abort();
    auto ready = co_await sel.select();
    if (ready.size() != 1) {
      state.SkipWithError("select() reported more or fewer than one fd");
      break;
    }
    if (::read(ready[0].first.fd, &byte, 1) != 1) std::abort();
  }
  sel.close();
}

void select_one_ready(benchmark::State& state, tide::Backend backend, bool verify) {
  std::vector<SocketPair> pairs(static_cast<std::size_t>(state.range(0)) / 2);
  tide::Loop::Options options;
  options.backend = backend;
  tide::Loop loop(options);
  loop.run_until_complete(rounds(state, pairs, verify));
  state.counters["registered"] = static_cast<double>(state.range(0));
}

}  // namespace

#define TIDE_SELECT_BENCH(name, backend, verify) \
  BENCHMARK_CAPTURE(select_one_ready, name, backend, verify)->RangeMultiplier(16)->Range(16, 16384)

TIDE_SELECT_BENCH(BM_SelectOneReadyUring, tide::Backend::IoUring, true);
TIDE_SELECT_BENCH(BM_SelectOneReadyEpoll, tide::Backend::Epoll, true);
TIDE_SELECT_BENCH(BM_SelectOneReadyPoll, tide::Backend::Poll, true);
TIDE_SELECT_BENCH(BM_SelectOneReadyUring_noverify, tide::Backend::IoUring, false);
TIDE_SELECT_BENCH(BM_SelectOneReadyEpoll_noverify, tide::Backend::Epoll, false);

BENCHMARK_MAIN();
