// Seeing inside a running loop: a small server whose handlers get stuck, what Loop::dump
// says about it, and what the stall detector reports when a handler blocks the loop.
//
//   dump
//
// Part 1. A config server: each request reads the configuration under a Mutex. A reload
// task holds that Mutex while a slow "disk read" runs on a pool thread that does not come
// back, so every handler queues behind it and the client waits for its answer. The dump
// names each of them, what it waits on, who holds the Mutex, and the await chains.
// Part 2. A handler that calls a blocking function (std::this_thread::sleep_for, 300 ms) in
// a loop with stall_threshold = 100 ms: the watchdog reports it while it blocks.
// Exits non-zero if the dump or the report does not say what is expected.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tide/tide.hpp>

using namespace std::chrono_literals;

namespace {

// A pool-thread call that stays out until released: a disk that stopped answering.
struct SlowDisk {
  std::mutex mutex;
  std::condition_variable cv;
  bool answering = false;

  std::string read_config() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return answering; });
    return "colour=blue\n";
  }
  void recover() {
    std::lock_guard lock(mutex);
    answering = true;
    cv.notify_all();
  }
};

struct Server {
  tide::Mutex config_lock;
  std::string config = "colour=red\n";
  SlowDisk disk;
};

// [guide:dump-reload]
tide::Task<void> reload(Server& server) {
  auto guard = co_await server.config_lock.scoped_lock();
  server.config = co_await tide::to_thread([&server] { return server.disk.read_config(); });
}
// [guide-end]

tide::Task<std::string> read_config(Server& server) {
  auto guard = co_await server.config_lock.scoped_lock();
  co_return server.config;
}

tide::Task<void> answer(Server& server, tide::TcpStream& stream) {
  tide::net::BufferedStream io(stream);
  while (!(co_await io.read_line()).empty()) {
    const std::string config = co_await read_config(server);
    co_await io.write(config);
    co_await io.flush();
  }
}

tide::Task<std::string> ask(tide::SocketAddress address) {
  tide::TcpStream stream = co_await tide::TcpStream::connect(address);
  co_await stream.write_all(std::string_view("GET\n"));
  tide::net::BufferedStream io(stream);
  co_return co_await io.read_line();
}

bool says(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  std::fprintf(stderr, "dump: expected to find \"%s\"\n", part.c_str());
  return false;
}

bool stuck_handler_demo() {
  tide::Loop loop;
  Server server;
  auto listener = tide::TcpListener::bind(tide::SocketAddress::loopback(0));
  tide::Event stop;
  auto serving =
      loop.spawn(tide::net::serve(
                     listener, [&](tide::TcpStream& s) { return answer(server, s); }, {}, &stop),
                 "server");
  auto reloader = loop.spawn(reload(server), "reloader");
  auto client = loop.spawn(ask(listener.local_address()), "client");
  // Let everyone get as far as they can: the client's request reaches a handler, which
  // queues for the Mutex the reloader holds.
  for (int i = 0; i < 100 && loop.dump().find("handler") == std::string::npos; ++i)
    loop.run_once(10ms);
  for (int i = 0; i < 10; ++i)
    loop.run_once(1ms);

  // [guide:dump-call]
  const std::string dump = loop.dump();
  std::fputs(dump.c_str(), stdout);
  // [guide-end]

  bool ok = says(dump, "task #2 'reloader': waits") && says(dump, "to_thread call running for") &&
            says(dump, "held by task #2 'reloader'") && says(dump, "task #3 'client': waits") &&
            says(dump, "recv from fd") && says(dump, "-> (anonymous namespace)::read_config") &&
            says(dump, "accept on fd");
  server.disk.recover();  // the disk answers: everything finishes
  loop.run_until_complete([](tide::JoinHandle<std::string>& c, tide::Event& s) -> tide::Task<void> {
    const std::string reply = co_await c;
    std::printf("\nthe client got: %s", reply.c_str());
    s.set();
  }(client, stop));
  return ok;
}

// [guide:stall-blocking]
void parse_the_slow_way() {
  std::this_thread::sleep_for(300ms);  // a blocking call in a handler: the loop stops
}
// [guide-end]

bool stall_demo() {
  std::mutex report_mutex;  // on_stall runs on the watchdog thread
  std::vector<std::string> reports;
  {
    // [guide:stall-options]
    tide::Loop::Options options;
    options.stall_threshold = 100ms;
    options.on_stall = [&](const tide::StallReport& report) {  // on the watchdog thread
      const std::string text = report.text();
      std::fputs(text.c_str(), stdout);
      std::lock_guard lock(report_mutex);
      reports.push_back(text);
    };
    tide::Loop loop(options);
    // [guide-end]
    auto careless = loop.spawn(
        []() -> tide::Task<void> {
          parse_the_slow_way();
          co_return;
        }(),
        "careless handler");
    loop.run();
  }  // the loop and its watchdog are gone: every report has been made
  return reports.size() == 2 && says(reports[0], "stall: task #1 'careless handler' has held") &&
         says(reports[0], "parse_the_slow_way") && says(reports[1], "stall over");
}

}  // namespace

int main() {
  std::puts("== Loop::dump of a server whose handlers are stuck ==");
  const bool dump_ok = stuck_handler_demo();
  std::puts("\n== the stall detector, a handler blocking the loop for 300 ms ==");
  const bool stall_ok = stall_demo();
  return dump_ok && stall_ok ? 0 : 1;
}
