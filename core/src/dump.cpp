// Loop::dump: every live task and fibre, what it waits on, its await chain or stack, and the
// wait-for cycles among them.
#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <tide/core/detail/describe.hpp>
#include <tide/core/detail/fiber_job.hpp>
#include <tide/core/detail/loop_core.hpp>
#include <tide/core/detail/task_job.hpp>
#include <tide/core/detail/wait_graph.hpp>
#include <tide/core/detail/wait_queue.hpp>
#include <tide/core/loop.hpp>

#include "core/src/symbolize.hpp"

namespace tide {

namespace detail {

namespace {

WaitInfo wait_of(const Job& job) {
  WaitInfo info;
  if (job.waiting != nullptr) {
    job.waiting->describe(info);
  } else if (job.quiet_wait.node != nullptr) {
    job.quiet_wait.queue->describe(*job.quiet_wait.node, info);
    info.what += " (not cancellable)";
  }
  return info;
}

std::vector<Job*> jobs_by_id(LoopCore& c) {
  std::vector<Job*> jobs;
  using Live = decltype(c.live);
  for (Job* job = c.live.front(); job != nullptr; job = Live::next(*job))
    jobs.push_back(job);
  std::sort(jobs.begin(), jobs.end(), [](const Job* a, const Job* b) { return a->id < b->id; });
  return jobs;
}

bool is_ready(const LoopCore& c, const Job& job) {
  for (std::size_t i = 0; i < c.ready.size(); ++i)
    if (c.ready.at(i).job == &job) return true;
  return false;
}

}  // namespace

std::vector<std::string> wait_cycles(LoopCore& c) {
  // Each parked job has at most one edge (the one thing it waits on names at most one job),
  // so following edges from any job either ends or runs into a cycle.
  const std::vector<Job*> jobs = jobs_by_id(c);
  std::map<const Job*, WaitInfo> edges;
  for (Job* job : jobs)
    if (WaitInfo info = wait_of(*job); info.blocked_by != nullptr) edges[job] = std::move(info);
  std::vector<std::string> cycles;
  std::set<const Job*> seen;
  for (Job* start : jobs) {
    std::vector<const Job*> path;
    const Job* at = start;
    while (at != nullptr && !seen.contains(at) &&
           std::find(path.begin(), path.end(), at) == path.end()) {
      path.push_back(at);
      const auto edge = edges.find(at);
      at = edge == edges.end() ? nullptr : edge->second.blocked_by;
    }
    if (at != nullptr && !seen.contains(at)) {
      // `at` is on the path: the cycle runs from it to the path's end. Name it from its
      // lowest-numbered job, so the same cycle reads the same from wherever it is found.
      auto first = std::find(path.begin(), path.end(), at);
      std::vector<const Job*> cycle(first, path.end());
      std::rotate(cycle.begin(),
                  std::min_element(cycle.begin(), cycle.end(),
                                   [](const Job* a, const Job* b) { return a->id < b->id; }),
                  cycle.end());
      std::string line = "deadlock: " + cycle.front()->describe();
      for (const Job* job : cycle)
        line += " -> " + edges[job].what;
      cycles.push_back(std::move(line));
    }
    seen.insert(path.begin(), path.end());
  }
  return cycles;
}

}  // namespace detail

void Loop::dump(std::ostream& out) const {
  detail::LoopCore& c = *core_;
  c.check_thread("dump");
  const std::vector<detail::Job*> jobs = detail::jobs_by_id(c);
  std::size_t tasks = 0, fibres = 0;
  for (const detail::Job* job : jobs)
    (dynamic_cast<const detail::FiberJob*>(job) != nullptr ? fibres : tasks) += 1;
  out << "tide loop (" << backend_name() << "): " << tasks << (tasks == 1 ? " task, " : " tasks, ")
      << fibres << (fibres == 1 ? " fibre" : " fibres") << ", iteration " << c.iterations << "\n";
  const auto now = c.now();
  for (detail::Job* job : jobs) {
    auto* fibre = dynamic_cast<detail::FiberJob*>(job);
    const bool running =
        job == c.current || (fibre != nullptr && fibre == detail::FiberJob::running());
    out << job->describe() << ": ";
    if (running) {
      out << "running";
    } else if (job->waiting != nullptr || job->quiet_wait.node != nullptr) {
      out << "waits " << detail::describe_duration(now - job->parked_at) << " on "
          << detail::wait_of(*job).what;
    } else if (detail::is_ready(c, *job)) {
      out << "ready to run";
    } else {
      out << "suspended (not in a wait tide can name)";
    }
    out << "\n";
    if (job->where.known())
      out << "    spawned at " << job->where.file << ":" << job->where.line << " in "
          << job->where.function << "\n";
    if (const auto* task = dynamic_cast<const detail::TaskJob*>(job)) {
      // The await chain, root to leaf: each task awaits the next.
      out << "    await chain:\n";
      const detail::PromiseBase* promise = &task->promise();
      const void* frame = task->frame();
      for (int depth = 0; frame != nullptr && depth < 64; ++depth) {
        const std::string name = detail::describe_coroutine(frame);
        out << "      " << (depth == 0 ? "" : "-> ") << (name.empty() ? "?" : name) << "\n";
        if (promise->inner == nullptr) break;
        frame = promise->inner_frame;
        promise = promise->inner;
      }
    } else if (fibre != nullptr && !running) {
      const std::vector<void*> stack = fibre->stack_trace();
      if (!stack.empty()) out << "    stack:\n";
      int n = 0;
      for (void* pc : stack)
        for (const std::string& frame : detail::describe_code(pc, true))
          out << "      #" << n++ << " " << frame << "\n";
    }
  }
  for (const std::string& cycle : detail::wait_cycles(c))
    out << cycle << "\n";
}

std::string Loop::dump() const {
  std::ostringstream out;
  dump(out);
  return out.str();
}

}  // namespace tide
