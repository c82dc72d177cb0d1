#include <tide/net/serve.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include <tide/core/detail/loop_core.hpp>
#include <tide/core/spawn.hpp>

namespace tide::net::detail {

Connections::Connections(ServeOptions options, ServeStats* stats)
    : options_(std::move(options)),
      stats_(stats ? stats : &own_stats_),
      slots_(options_.max_connections) {
  if (options_.max_connections == 0)
    throw std::invalid_argument("tide::net::serve: max_connections must be at least 1");
  *stats_ = {};
}

void Connections::start(Task<void> task) {
  auto& loop = tide::detail::current_core("tide::net::serve");
  children_.spawn(loop, std::move(task), static_cast<std::size_t>(stats_->accepted), {},
                  "connection " + std::to_string(stats_->accepted + 1));
  ++stats_->accepted;
  stats_->peak = std::max(stats_->peak, ++stats_->active);
}

void Connections::prepare(StreamSocket& stream) {
  if (options_.idle_timeout.count() > 0) stream.set_idle_timeout(options_.idle_timeout);
  if (options_.header_timeout.count() > 0) stream.set_deadline_after(options_.header_timeout);
}

void Connections::ended(std::exception_ptr error, const StreamSocket& stream) noexcept {
  --stats_->active;
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const Cancelled&) {
    ++stats_->cancelled;
    return;
  } catch (const TimeoutError&) {
    ++stats_->timed_out;
    return;
  } catch (...) {
    if (stream.timed_out()) {  // the deadline shut the socket; the handler saw its effect
      ++stats_->timed_out;
      return;
    }
  }
  ++stats_->failed;
  if (options_.on_error) {
    try {
      options_.on_error(error);
    } catch (...) {
      std::fputs("tide::net::serve: on_error threw; ignored\n", stderr);
    }
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tide::net::serve: a connection's handler failed: %s\n", e.what());
  } catch (...) {
    std::fputs("tide::net::serve: a connection's handler failed (not a std::exception)\n", stderr);
  }
}

Task<void> Connections::drain() {
  auto& loop = tide::detail::current_core("tide::net::serve");
  children_.arm_deadline(
      loop, loop.now() +
                std::chrono::duration_cast<tide::detail::Clock::duration>(options_.shutdown_grace));
  try {
    co_await children_.join();
  } catch (const TimeoutError&) {
    // Those still running at the deadline were cancelled, and have ended.
  }
}

Task<void> Connections::cancel_all() {
  children_.cancel_all();
  co_await children_.join();
}

namespace {

Task<void> cancel_when_set(Event& stop, JoinHandle<void>& accepting) {
  co_await stop.wait();
  accepting.cancel();
}

}  // namespace

Task<void> serve_until(Task<void> accepting, Connections& connections, Event* stop,
                       std::function<void()> close_listener) {
  JoinHandle<void> acceptor = tide::spawn(std::move(accepting), "serve: accepting");
  JoinHandle<void> stopper;
  if (stop) stopper = tide::spawn(cancel_when_set(*stop, acceptor), "serve: watching stop");

  std::exception_ptr outcome;  // why accepting ended
  bool graceful = true;
  try {
    co_await acceptor;
  } catch (const Cancelled&) {
    // Either `stop` was set (the stopper cancelled accepting) or serve itself was cancelled.
    graceful = stop && stop->is_set();
    if (!graceful) outcome = std::current_exception();
  } catch (...) {
    outcome = std::current_exception();  // the listener failed: wind down, then report it
  }
  if (stopper.valid()) {
    stopper.cancel();
    try {
      co_await stopper;
    } catch (...) {
    }
  }
  close_listener();
  if (graceful)
    co_await connections.drain();
  else
    co_await connections.cancel_all();
  if (outcome) std::rethrow_exception(outcome);
}

}  // namespace tide::net::detail
