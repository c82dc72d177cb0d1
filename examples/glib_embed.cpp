// A tide loop inside a GLib main loop, on one thread: a GSource built on Loop::backend_fds()
// and Loop::next_timeout() lets GLib sleep on tide's fds and timers as well as its own, and
// runs one non-blocking tide iteration when one of them fires. GLib keeps its timers and idle
// callbacks; tide serves TCP connections. Built only where GLib is (libglib2.0-dev).
//
//   glib_embed [--port N] [--backend auto|io_uring|epoll|poll]
//       an echo server on 127.0.0.1 (port 0, the default: the kernel picks one); prints
//       "listening on <address>", a line from a GLib timer whenever the counts changed, and a
//       summary on SIGINT or SIGTERM.
//   glib_embed --self-test N
//       the same server, plus N tide client tasks in the same program that each send 10
//       messages and check every echo, a round of messages per GLib timer tick and idle
//       callback; prints a summary and quits the GMainLoop.
#include <glib-unix.h>
#include <glib.h>

#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <tide/core/loop.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>
#include <tide/sync/semaphore.hpp>

using namespace std::chrono_literals;

namespace {

// [guide:glib-source]
// A GSource that drives a tide loop from GLib's main loop. Before GLib sleeps, prepare()
// hands it the fds tide needs watched (Loop::backend_fds: one fd on epoll and io_uring, the
// fds operations wait on with the poll backend) and how long it may sleep
// (Loop::next_timeout); when one of those fires, dispatch() runs one tide iteration that never
// blocks. Nothing else is needed: posts from other threads wake GLib through the same fds.
struct TideSourceState {
  struct Watch {
    gpointer tag = nullptr;  // what g_source_add_unix_fd returned
    unsigned events = 0;
    unsigned seen = 0;  // the last sync that found the fd in tide's set
  };
  tide::Loop* loop = nullptr;
  std::unordered_map<int, Watch> watches;  // by fd: what GLib watches for tide now
  unsigned syncs = 0;
  std::exception_ptr error;  // thrown by run_once (a posted callback threw)
  GMainLoop* quit_on_error = nullptr;
  unsigned long dispatches = 0;
};

struct TideSource {
  GSource source;  // first: GLib allocates the struct and hands it around as a GSource*
  TideSourceState* state;
};

TideSourceState& state_of(GSource* source) {
  return *reinterpret_cast<TideSource*>(source)->state;
}

// Makes GLib watch exactly the fds tide asks for now, with their events (poll(2) bits, which
// GLib passes to poll unchanged). The set changes only when tide's operations start or end,
// and GLib calls prepare() before every poll, so syncing there is enough.
void sync_fds(GSource* source, TideSourceState& s) {
  const unsigned sync = ++s.syncs;
  for (const tide::Loop::WatchedFd& w : s.loop->backend_fds()) {
    auto [it, added] = s.watches.try_emplace(w.fd);
    TideSourceState::Watch& watch = it->second;
    if (added)
      watch.tag = g_source_add_unix_fd(source, w.fd, static_cast<GIOCondition>(w.events));
    else if (watch.events != w.events)
      g_source_modify_unix_fd(source, watch.tag, static_cast<GIOCondition>(w.events));
    watch.events = w.events;
    watch.seen = sync;
  }
  std::erase_if(s.watches, [&](const auto& entry) {
    if (entry.second.seen == sync) return false;
    g_source_remove_unix_fd(source, entry.second.tag);
    return true;
  });
}

gboolean tide_prepare(GSource* source, gint* timeout_ms) {
  TideSourceState& s = state_of(source);
  const auto timeout = s.loop->next_timeout();  // first: from here on a post wakes GLib
  sync_fds(source, s);
  if (!timeout) {
    *timeout_ms = -1;  // only I/O or a post can give tide work
  } else {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    *timeout_ms = static_cast<gint>(std::min<decltype(ms)>(ms, INT_MAX));
  }
  return timeout && *timeout == 0ns;  // work is ready: dispatch without polling
}

gboolean tide_check(GSource* source) {
  TideSourceState& s = state_of(source);
  for (const auto& entry : s.watches)
    if (g_source_query_unix_fd(source, entry.second.tag) != 0) return TRUE;
  const auto timeout = s.loop->next_timeout();  // a tide timer may be due
  return timeout && *timeout == 0ns;
}

gboolean tide_dispatch(GSource* source, GSourceFunc, gpointer) {
  TideSourceState& s = state_of(source);
  ++s.dispatches;
  try {
    s.loop->run_once(0ns);
  } catch (...) {
    // An exception must not unwind through GLib's C frames: keep it for the caller.
    s.error = std::current_exception();
    if (s.quit_on_error) g_main_loop_quit(s.quit_on_error);
  }
  return G_SOURCE_CONTINUE;
}

void tide_finalize(GSource* source) {
  delete reinterpret_cast<TideSource*>(source)->state;
}

GSourceFuncs tide_source_funcs = {tide_prepare,  tide_check, tide_dispatch,
                                  tide_finalize, nullptr,    nullptr};

// A new source for `loop`, to attach to a GMainContext. Create it before the tide loop first
// runs (io_uring sets itself up for a host then: see Loop::backend_fd).
GSource* tide_source_new(tide::Loop& loop) {
  GSource* source = g_source_new(&tide_source_funcs, sizeof(TideSource));
  auto* state = new TideSourceState;
  state->loop = &loop;
  reinterpret_cast<TideSource*>(source)->state = state;
  g_source_set_name(source, "tide");
  sync_fds(source, *state);
  return source;
}
// [guide-end]

constexpr int rounds = 10;  // messages per self-test client

struct Counts {
  int connections = 0;  // accepted
  int closed = 0;       // ended (the peer left)
  int echoed = 0;       // messages echoed by the server
  int checked = 0;      // echoes the self-test clients got back intact
  int ticks = 0;        // GLib timer ticks
  int idles = 0;        // GLib idle calls
  bool one_thread = true;
  std::thread::id thread = std::this_thread::get_id();
  void note_thread() { one_thread = one_thread && std::this_thread::get_id() == thread; }
};

// A peer that resets or vanishes ends its connection; that is not a server error.
bool peer_went_away(const std::system_error& e) {
  return e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe;
}

tide::Task<void> echo(tide::TcpStream stream, Counts& counts, tide::Semaphore& closed) {
  std::array<std::byte, 4096> buf{};
  try {
    for (;;) {
      const std::size_t n = co_await stream.read_some(buf);
      if (n == 0) break;
      co_await stream.write_all(std::span<const std::byte>(buf.data(), n));
      ++counts.echoed;
      counts.note_thread();
    }
  } catch (const std::system_error& e) {
    if (!peer_went_away(e)) throw;
  }
  ++counts.closed;
  closed.release();
}

tide::Task<void> serve(tide::TcpListener& listener, Counts& counts, tide::Semaphore& closed) {
  for (;;) {
    tide::TcpStream stream;
    try {
      stream = co_await listener.accept();
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::bad_file_descriptor) co_return;  // the listener was closed
      throw;
    }
    ++counts.connections;
    tide::spawn(echo(std::move(stream), counts, closed)).detach();
  }
}

// The self-test: N clients in this program, `rounds` messages each. A round starts with a
// GLib timer tick, which schedules a GLib idle callback, which posts to tide to let every
// client send its next message; once every echo of the round is back, tide asks GLib for the
// next tick. So GLib's callbacks and tide's connections take turns on one thread, and between
// the callbacks only tide's fds can wake GLib: a wake-up missing from the GSource would stall
// the self-test (a GLib watchdog then fails it after 10 s).
struct SelfTest {
  int clients = 0;
  tide::Loop* loop = nullptr;
  GMainLoop* main_loop = nullptr;
  Counts* counts = nullptr;
  tide::Semaphore go{0};          // a permit per client and round: send the next message
  tide::Semaphore round_done{0};  // a permit per client whose echo came back
  bool failed = false;
};

gboolean on_idle(gpointer data) {
  auto& t = *static_cast<SelfTest*>(data);
  ++t.counts->idles;
  t.counts->note_thread();
  // The way into tide from outside its loop (any thread may post).
  t.loop->post([&t] { t.go.release(static_cast<std::size_t>(t.clients)); });
  return G_SOURCE_REMOVE;
}

gboolean on_tick(gpointer data) {
  auto& t = *static_cast<SelfTest*>(data);
  ++t.counts->ticks;
  t.counts->note_thread();
  g_idle_add(on_idle, data);
  return G_SOURCE_REMOVE;
}

gboolean on_watchdog(gpointer data) {
  auto& t = *static_cast<SelfTest*>(data);
  std::fprintf(stderr, "glib_embed: the self-test stalled: tide did not wake GLib\n");
  t.failed = true;
  g_main_loop_quit(t.main_loop);
  return G_SOURCE_REMOVE;
}

tide::Task<void> client(tide::net::SocketAddress server, int id, SelfTest& t) {
  try {
    tide::TcpStream stream = co_await tide::TcpStream::connect(server);
    for (int i = 0; i < rounds; ++i) {
      co_await t.go.acquire();
      const std::string message = "client " + std::to_string(id) + " message " + std::to_string(i);
      co_await stream.write_all(message);
      std::string back(message.size(), '\0');
      co_await stream.read_exact(std::as_writable_bytes(std::span(back)));
      if (back == message) ++t.counts->checked;
      t.counts->note_thread();
      t.round_done.release();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glib_embed: client %d failed: %s\n", id, e.what());
    t.failed = true;
    g_main_loop_quit(t.main_loop);
  }
}

tide::Task<void> self_test(tide::net::SocketAddress server, tide::TcpListener& listener,
                           tide::Semaphore& closed, SelfTest& t) {
  std::vector<tide::JoinHandle<void>> running;
  for (int id = 0; id < t.clients; ++id)
    running.push_back(tide::spawn(client(server, id, t)));
  for (int i = 0; i < rounds; ++i) {
    g_timeout_add(1, on_tick, &t);  // GLib starts the round
    for (int c = 0; c < t.clients; ++c)
      co_await t.round_done.acquire();
  }
  for (auto& handle : running)
    co_await handle;
  for (int c = 0; c < t.clients; ++c)
    co_await closed.acquire();  // the server saw every client leave
  listener.close();
  g_main_loop_quit(t.main_loop);
}

struct Config {
  int port = 0;
  int self_test_clients = 0;  // 0: serve until a signal
  tide::Backend backend = tide::Backend::Auto;
};

Config parse(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--port")
      config.port = std::stoi(value);
    else if (flag == "--self-test")
      config.self_test_clients = std::stoi(value);
    else if (flag == "--backend")
      config.backend = tide::parse_backend(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag));
  }
  if (config.port < 0 || config.port > 65535) throw std::invalid_argument("--port: 0 to 65535");
  if (config.self_test_clients < 0 || config.self_test_clients > 1000)
    throw std::invalid_argument("--self-test: 0 to 1000 clients");
  return config;
}

// The server's GLib side: a status line whenever the counts changed.
gboolean on_status(gpointer data) {
  auto& counts = *static_cast<Counts*>(data);
  static int last_reported = 0;
  const int total = counts.connections + counts.echoed;
  if (total != last_reported) {
    std::printf("GLib timer: %d connections, %d messages echoed\n", counts.connections,
                counts.echoed);
    std::fflush(stdout);
    last_reported = total;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_signal(gpointer main_loop) {
  g_main_loop_quit(static_cast<GMainLoop*>(main_loop));
  return G_SOURCE_CONTINUE;
}

int run(const Config& config) {
  tide::Loop loop(tide::Loop::Options{.backend = config.backend});
  GMainLoop* main_loop = g_main_loop_new(nullptr, FALSE);
  GSource* source = tide_source_new(loop);  // before tide first runs
  state_of(source).quit_on_error = main_loop;
  g_source_attach(source, nullptr);

  auto listener = tide::TcpListener::bind(
      tide::net::SocketAddress::loopback(static_cast<std::uint16_t>(config.port)));
  const tide::net::SocketAddress address = listener.local_address();
  std::printf("listening on %s\n", address.to_string().c_str());
  std::fflush(stdout);

  Counts counts;
  tide::Semaphore closed(0);  // a permit per connection the server has finished
  auto server = loop.spawn(serve(listener, counts, closed));
  SelfTest t{.clients = config.self_test_clients,
             .loop = &loop,
             .main_loop = main_loop,
             .counts = &counts};
  std::optional<tide::JoinHandle<void>> test;
  std::vector<guint> glib_sources;
  if (config.self_test_clients > 0) {
    std::printf("self-test: %d tide clients x %d messages, a round per GLib timer tick\n",
                config.self_test_clients, rounds);
    test = loop.spawn(self_test(address, listener, closed, t));
    glib_sources.push_back(g_timeout_add_seconds(10, on_watchdog, &t));
  } else {
    glib_sources.push_back(g_timeout_add_seconds(1, on_status, &counts));
    glib_sources.push_back(g_unix_signal_add(SIGINT, on_signal, main_loop));
    glib_sources.push_back(g_unix_signal_add(SIGTERM, on_signal, main_loop));
  }

  g_main_loop_run(main_loop);

  for (guint id : glib_sources)
    if (GSource* glib_source = g_main_context_find_source_by_id(nullptr, id))
      g_source_destroy(glib_source);  // the watchdog may have fired (and gone) already
  const unsigned long dispatches = state_of(source).dispatches;
  const std::exception_ptr error = state_of(source).error;
  g_source_destroy(source);
  g_source_unref(source);
  g_main_loop_unref(main_loop);
  if (error) std::rethrow_exception(error);

  if (config.self_test_clients == 0 || t.failed) {
    // Connections still open are cancelled, outside GLib now.
    listener.close();
    loop.cancel_remaining();
    if (t.failed) return 1;
    std::printf(
        "stopped: %d connections, %d messages echoed; tide's GSource dispatched %lu "
        "times\n",
        counts.connections, counts.echoed, dispatches);
    return 0;
  }
  // The self-test closed the listener: the server ends on its own, outside GLib now.
  loop.run();
  server.result();
  test->result();
  const int expected = config.self_test_clients * rounds;
  std::printf("clients: %d of %d echoes checked\n", counts.checked, expected);
  std::printf("server: %d connections, %d closed, %d messages echoed\n", counts.connections,
              counts.closed, counts.echoed);
  std::printf("GLib meanwhile: %d timer ticks, %d idle calls\n", counts.ticks, counts.idles);
  std::printf("GLib and tide on one thread: %s\n", counts.one_thread ? "yes" : "no");
  std::printf("tide's GSource dispatched %lu times\n", dispatches);
  return counts.checked == expected && counts.one_thread ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glib_embed: %s\n", e.what());
    return 2;
  }
}

// Test arguments: --self-test 8
// Output:
// listening on 127.0.0.1:<int>
// self-test: 8 tide clients x 10 messages, a round per GLib timer tick
// clients: 80 of 80 echoes checked
// server: 8 connections, 8 closed, 80 messages echoed
// GLib meanwhile: 10 timer ticks, 10 idle calls
// GLib and tide on one thread: yes
// tide's GSource dispatched <int> times
