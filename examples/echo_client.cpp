// A load generator for echo servers, on tide: N connections, each keeping K messages in
// flight, every echoed byte checked. The seeds' "10,000 clients" test, and the client of
// bench/echo_compare.py.
//
//   echo_client [--host 127.0.0.1] [--port 7000] [--connections 100] [--message-size 64]
//               [--in-flight 1] [--duration 5] [--warmup 1] [--backend auto|...]
//
// Once every connection is up and the warm-up is over, it prints "measuring"; after --duration
// seconds more, one line:
//   round_trips=<n> seconds=<s> rt_per_s=<r> p50_us=<a> p99_us=<b> p999_us=<c> errors=<e>
// and exits 0 (1 if any byte came back wrong or a connection failed).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <tide/net/net.hpp>
#include <tide/tide.hpp>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Config {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::size_t connections = 100;
  std::size_t message_size = 64;
  std::size_t in_flight = 1;
  double duration = 5;
  double warmup = 1;
  tide::Backend backend = tide::Backend::Auto;
};

Config parse(int argc, char** argv) {
  Config c;
  if (const char* env = std::getenv("TIDE_BACKEND")) c.backend = tide::parse_backend(env);
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--host")
      c.host = value;
    else if (flag == "--port")
      c.port = std::stoi(value);
    else if (flag == "--connections")
      c.connections = std::stoul(value);
    else if (flag == "--message-size")
      c.message_size = std::stoul(value);
    else if (flag == "--in-flight")
      c.in_flight = std::stoul(value);
    else if (flag == "--duration")
      c.duration = std::stod(value);
    else if (flag == "--warmup")
      c.warmup = std::stod(value);
    else if (flag == "--backend")
      c.backend = tide::parse_backend(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag));
  }
  if (c.connections == 0 || c.message_size == 0 || c.in_flight == 0)
    throw std::invalid_argument("--connections, --message-size and --in-flight must be positive");
  if (c.port <= 0 || c.port > 65535) throw std::invalid_argument("--port: 1 to 65535");
  return c;
}

// What every connection shares: the phase of the run and what was measured.
struct Run {
  const Config* config = nullptr;
  bool measuring = false;
  bool finished = false;
  std::size_t settled = 0;  // connections connected or failed to
  tide::Event all_settled;  // the warm-up starts once every connection is up
  std::uint64_t round_trips = 0;
  std::uint64_t errors = 0;
  std::vector<float> latencies_us;  // of the measured window
};

// The bytes every connection sends: a pseudo-random sequence with a prime period, started at
// a different place for each connection, so a byte echoed in the wrong place or from another
// connection is caught. Checked and written with memcmp/memcpy a piece at a time.
class Pattern {
 public:
  static constexpr std::size_t period = 4093;
  Pattern() {
    for (std::size_t i = 0; i < 2 * period; ++i) {
      const std::size_t j = i % period;
      bytes_[i] = static_cast<std::byte>((j * 131 + j / 7 + 17) & 0xff);
    }
  }
  // Visits the pattern of connection `id` from stream offset `offset`, `length` bytes, in
  // pieces: f(pattern_piece, piece_length, position_in_span).
  template <class F>
  void walk(std::size_t id, std::uint64_t offset, std::size_t length, F&& f) const {
    std::size_t done = 0;
    while (done < length) {
      const std::size_t start = static_cast<std::size_t>((offset + done + id * 7) % period);
      const std::size_t n = std::min(length - done, period);
      if (!f(bytes_.data() + start, n, done)) return;
      done += n;
    }
  }

 private:
  std::array<std::byte, 2 * period> bytes_;
};

const Pattern pattern;

tide::Task<void> drive(tide::TcpStream& stream, std::size_t id, Run& run) {
  const std::size_t size = run.config->message_size;
  std::vector<std::byte> message(size);
  std::deque<Clock::time_point> sent;  // send time of each message in flight
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_bytes = 0;
  auto send_one = [&]() -> tide::Task<void> {
    pattern.walk(id, sent_bytes, size, [&](const std::byte* p, std::size_t n, std::size_t at) {
      std::memcpy(message.data() + at, p, n);
      return true;
    });
    sent.push_back(Clock::now());
    sent_bytes += size;
    co_await stream.write_all(message);
  };
  for (std::size_t i = 0; i < run.config->in_flight; ++i)
    co_await send_one();
  while (!run.finished) {
    tide::io::Chunk chunk = co_await stream.receive();
    if (chunk.empty()) throw std::runtime_error("the server closed the connection");
    bool intact = true;
    pattern.walk(id, received_bytes, chunk.size(),
                 [&](const std::byte* p, std::size_t n, std::size_t at) {
                   return intact = std::memcmp(chunk.data() + at, p, n) == 0;
                 });
    if (!intact) {
      ++run.errors;
      throw std::runtime_error("connection " + std::to_string(id) + ": bytes from " +
                               std::to_string(received_bytes) + " came back wrong");
    }
    const std::uint64_t before = received_bytes / size;
    received_bytes += chunk.size();
    chunk.reset();
    for (std::uint64_t done = received_bytes / size - before; done > 0; --done) {
      const auto latency = Clock::now() - sent.front();  // a whole message is back
      sent.pop_front();
      if (run.measuring) {
        ++run.round_trips;
        run.latencies_us.push_back(std::chrono::duration<float, std::micro>(latency).count());
      }
      if (!run.finished) co_await send_one();
    }
  }
}

void settle(Run& run) {
  if (++run.settled == run.config->connections) run.all_settled.set();
}

tide::Task<void> connect_and_drive(tide::SocketAddress address, std::size_t id, Run& run,
                                   tide::Semaphore& connecting) {
  tide::TcpStream stream;
  try {
    auto slot = co_await connecting.scoped_acquire();  // a few hundred handshakes at a time
    stream = co_await tide::TcpStream::connect(address);
  } catch (...) {
    settle(run);
    throw;
  }
  settle(run);
  stream.set_nodelay(true);  // a message goes out whole at once, not after the last one's ACK
  co_await drive(stream, id, run);
}

double percentile(std::vector<float>& values, double p) {
  if (values.empty()) return 0;
  auto at =
      values.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

tide::Task<int> client(const Config& config) {
  const auto address =
      tide::SocketAddress::ip(config.host, static_cast<std::uint16_t>(config.port));
  Run run;
  run.config = &config;
  tide::Semaphore connecting(256);
  std::vector<tide::JoinHandle<void>> connections;
  connections.reserve(config.connections);
  for (std::size_t i = 0; i < config.connections; ++i)
    connections.push_back(tide::spawn(connect_and_drive(address, i, run, connecting)));

  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  co_await run.all_settled.wait();  // every connection up (or failed) before the warm-up
  co_await tide::sleep_for(seconds(config.warmup));
  std::printf("measuring\n");
  std::fflush(stdout);
  run.measuring = true;
  const auto start = Clock::now();
  co_await tide::sleep_for(seconds(config.duration));
  run.measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t round_trips = run.round_trips;

  // Which connections failed before the end (a failure ends its task early).
  std::uint64_t failed = 0;
  for (auto& connection : connections) {
    if (!connection.done()) continue;
    try {
      co_await connection;
    } catch (const std::exception& e) {
      if (++failed <= 3) std::fprintf(stderr, "echo_client: %s\n", e.what());
    }
  }
  run.finished = true;
  for (auto& connection : connections)
    connection.cancel();
  for (auto& connection : connections) {
    if (!connection.valid()) continue;
    try {
      co_await connection;
    } catch (...) {
    }
  }
  std::printf(
      "round_trips=%llu seconds=%.3f rt_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
      "errors=%llu\n",
      static_cast<unsigned long long>(round_trips), elapsed,
      static_cast<double>(round_trips) / elapsed, percentile(run.latencies_us, 0.5),
      percentile(run.latencies_us, 0.99), percentile(run.latencies_us, 0.999),
      static_cast<unsigned long long>(run.errors + failed));
  std::fflush(stdout);
  co_return run.errors + failed == 0 && round_trips > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Config config = parse(argc, argv);
    tide::Loop::Options options;
    options.backend = config.backend;
    tide::Loop loop(std::move(options));
    return loop.run_until_complete(client(config));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
  }
}
