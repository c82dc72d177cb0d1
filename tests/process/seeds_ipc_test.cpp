// The seeds' multiprocessing IPC examples (/work/shared/seeds/), ported: JoinableQueue
// producers and consumers, the ticket sale under a Lock, the shared Array, the Pipe
// conversation and the Manager dict. Children run on fresh loops of their own, some as tasks
// and some as fibres.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/timeout.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_lock.hpp>
#include <tide/io/process_queue.hpp>
#include <tide/io/shared_array.hpp>
#include <tide/io/shared_value.hpp>

#include "support/require.hpp"
#include "test_loop.hpp"

using namespace std::chrono_literals;

namespace {

using tide::Task;
using tide::testing::require;
using tide::testing::run_clean;

// Seed 002, JoinableQueue: two producers make 10 foods each, two daemon consumers eat them
// (tom in a task, tina in a fibre) and mark each done; the parent joins the producers, then
// the queue. Every food is eaten exactly once, and join returns only after the last
// task_done (each consumer reports what it ate before marking it done, so at that moment
// all 20 reports are there).
TEST(Seeds, JoinableQueueProducersAndConsumers) {
  run_clean([]() -> Task<void> {
    tide::ProcessQueue<std::string> q;
    tide::ProcessQueue<std::string> eaten;  // the seed prints "tom ate ..."; we report it
    auto producer = [&q](std::string name, std::string food) -> Task<void> {
      for (int i = 0; i < 10; ++i)
        co_await q.put(name + " made " + food + std::to_string(i));
    };
    std::vector<tide::Process> producers;
    producers.push_back(tide::Process::start([&] { return producer("jack", "bread"); }));
    producers.push_back(tide::Process::start([&] { return producer("json", "pizza"); }));
    const tide::ProcessOptions daemon{.daemon = true};  // killed when its Process goes
    std::vector<tide::Process> consumers;
    consumers.push_back(tide::Process::start(daemon, [&]() -> Task<void> {
      for (;;) {
        const std::string food = co_await q.get();
        co_await tide::sleep_for(1ms);  // the seed's eating time, shortened
        co_await eaten.put("tom ate " + food);
        q.task_done();
      }
    }));
    consumers.push_back(tide::Process::start(daemon, [&] {  // a fibre
      for (;;) {
        const std::string food = tide::await(q.get());
        tide::await(tide::sleep_for(1ms));
        tide::await(eaten.put("tina ate " + food));
        q.task_done();
      }
    }));
    for (auto& p : producers)
      EXPECT_EQ(co_await p.wait(), 0);
    co_await tide::timeout(20s, q.join());
    std::multiset<std::string> foods;
    while (auto report = eaten.try_get())
      foods.insert(report->substr(report->find(" ate ") + 5));
    EXPECT_EQ(foods.size(), 20u) << "join returned before every food was eaten";
    for (const char* maker : {"jack made bread", "json made pizza"})
      for (int i = 0; i < 10; ++i)
        EXPECT_EQ(foods.count(maker + std::to_string(i)), 1u) << maker << i;
    EXPECT_TRUE(q.empty());
  });
}

// Seed 002, the ticket sale with a Lock: 10 buyers (5 tasks, 5 fibres) each look at the
// tickets left, then buy under the lock (read, a pause, write back, as the seed's
// json file round trip does). Never oversold: exactly the initial tickets are sold.
TEST(Seeds, TicketSaleWithAProcessLockNeverOversells) {
  run_clean([]() -> Task<void> {
    constexpr int initial = 3, buyers = 10;
    tide::SharedValue<int> tickets(initial);
    tide::SharedArray<int> bought(buyers);
    tide::ProcessLock mutex;
    std::vector<tide::Process> children;
    for (int i = 0; i < buyers; ++i) {
      if (i % 2 == 0) {
        children.push_back(tide::Process::start([&, i]() -> Task<void> {
          (void)tickets.atomic().load();  // search(i): "user i sees N tickets left"
          auto guard = co_await mutex.scoped_lock();
          const int left = *tickets;
          co_await tide::sleep_for(2ms);  // the seed's time.sleep between read and write
          if (left > 0) {
            *tickets = left - 1;
            bought[i] = 1;
          }
        }));
      } else {
        children.push_back(tide::Process::start([&, i] {
          (void)tickets.atomic().load();
          tide::await(mutex.lock());
          const int left = *tickets;
          tide::await(tide::sleep_for(2ms));
          if (left > 0) {
            *tickets = left - 1;
            bought[i] = 1;
          }
          mutex.unlock();
        }));
      }
    }
    for (auto& child : children)
      EXPECT_EQ(co_await tide::timeout(20s, child.wait()), 0);
    EXPECT_EQ(std::accumulate(bought.begin(), bought.end(), 0), initial) << "oversold";
    EXPECT_EQ(*tickets, 0);
    EXPECT_FALSE(mutex.locked());
  });
}

// Seed 003, the shared Array under a lock: 20 children each set temp[0] = 100 + i and read
// the rest; the parent then sees their writes.
TEST(Seeds, SharedArrayUpdatedByChildrenIsSeenByTheParent) {
  run_clean([]() -> Task<void> {
    constexpr int children_count = 20;
    tide::SharedArray<int> temp{11, 22, 33, 44};
    tide::SharedArray<int> ran(children_count);  // which child got to write (for the check)
    std::vector<tide::Process> children;
    for (int i = 0; i < children_count; ++i)
      children.push_back(tide::Process::start([&, i]() -> Task<void> {
        auto guard = co_await temp.get_lock().scoped_lock();
        temp[0] = 100 + i;
        require(temp[0] == 100 + i && temp[1] == 22 && temp[2] == 33 && temp[3] == 44,
                "the array under the lock");
        ran[i] = 1;
      }));
    for (auto& child : children)
      EXPECT_EQ(co_await tide::timeout(20s, child.wait()), 0);
    EXPECT_GE(temp[0], 100);
    EXPECT_LT(temp[0], 100 + children_count);
    EXPECT_EQ(temp[1], 22);
    EXPECT_EQ(temp[3], 44);
    EXPECT_EQ(std::accumulate(ran.begin(), ran.end(), 0), children_count);
  });
}

// Seed 004's message from pipe1.
struct Note {
  int num = 0;
  std::optional<std::string> data;
  std::string msg;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(num, data, msg);
  }
};

// Seed 004, the Pipe conversation: the child sends two lists, receives the parent's dict and
// closes its end; the parent, having received both, sends the dict, and then sees the end.
TEST(Seeds, PipeConversation) {
  run_clean([]() -> Task<void> {
    using List = std::tuple<int, std::optional<int>, std::string>;  // [11, None, "hello ..."]
    auto ends = tide::Channel::pair();
    tide::Channel& pipe1 = ends.first;
    tide::Channel& pipe2 = ends.second;
    auto child = tide::Process::start([&] {  // a fibre
      pipe1.close();
      tide::await(pipe2.send(List{11, std::nullopt, "hello from pipe2"}));
      tide::await(pipe2.send(List{22, std::nullopt, "hello from pipe2"}));
      const Note note = tide::await(pipe2.recv<Note>());
      require(note.num == 20 && !note.data && note.msg == "hello from pipe1", "the dict");
      pipe2.close();
    });
    pipe2.close();
    const List first = co_await pipe1.recv<List>();
    const List second = co_await pipe1.recv<List>();
    const List expected{11, std::nullopt, "hello from pipe2"};
    EXPECT_EQ(first, expected);
    EXPECT_EQ(std::get<0>(second), 22);
    // (named: g++ 12 destroys an aggregate temporary inside a co_await expression twice)
    const Note note{20, std::nullopt, "hello from pipe1"};
    co_await pipe1.send(note);
    EXPECT_THROW(co_await pipe1.recv<List>(), tide::ChannelClosed);  // Python's EOFError
    EXPECT_EQ(co_await child.wait(), 0);
  });
}

// Seed 004, the Manager dict and list written by 10 processes. Ported as the pattern a
// Manager is underneath: children send their writes as messages to the process that owns
// the dict (here the parent, holding a plain std::map; a Manager has a server process) over
// a ProcessQueue. No SharedDict: a map in shared memory needs a process-shared allocator and
// a lock around every access, and buys nothing over this for the seed's use.
TEST(Seeds, ManagerStyleDictWrittenByTenProcesses) {
  run_clean([]() -> Task<void> {
    constexpr int processes = 10;
    // ("dict", key, value) or ("list", pid, ppid)
    using Write = std::tuple<std::string, std::string, std::string>;
    tide::ProcessQueue<Write> writes;
    std::vector<tide::Process> children;
    std::set<pid_t> pids;
    for (int i = 0; i < processes; ++i) {
      children.push_back(tide::Process::start([&, i]() -> Task<void> {
        // (the Write is built outside the co_await expression: g++ 12 mishandles such
        // temporaries in coroutines)
        auto write = [&writes](const std::string& kind, const std::string& key,
                               const std::string& value) {
          return writes.put(Write{kind, key, value});
        };
        const std::string own_key = "process " + std::to_string(i);
        const std::string pid = std::to_string(::getpid());
        const std::string ppid = std::to_string(::getppid());
        co_await write("dict", "1", "1");  // d[1] = "1"
        co_await write("dict", "2", "2");  // d["2"] = 2
        co_await write("dict", "0.25", "None");
        co_await write("dict", own_key, "wrote");
        co_await write("list", pid, ppid);  // l.append({'pid': ..., 'ppid': ...})
      }));
      pids.insert(children.back().pid());
    }
    std::map<std::string, std::string> d;
    std::vector<std::pair<pid_t, pid_t>> l;
    std::size_t received = 0;
    while (received < processes * 5u) {
      const Write w = co_await tide::timeout(20s, writes.get());
      ++received;
      if (std::get<0>(w) == "dict")
        d[std::get<1>(w)] = std::get<2>(w);
      else
        l.emplace_back(std::stoi(std::get<1>(w)), std::stoi(std::get<2>(w)));
    }
    for (auto& child : children)
      EXPECT_EQ(co_await child.wait(), 0);
    EXPECT_EQ(d.size(), 3u + processes);
    EXPECT_EQ(d["1"], "1");
    EXPECT_EQ(d["2"], "2");
    EXPECT_EQ(d["0.25"], "None");
    for (int i = 0; i < processes; ++i)
      EXPECT_EQ(d["process " + std::to_string(i)], "wrote");
    EXPECT_EQ(l.size(), static_cast<std::size_t>(processes));
    std::set<pid_t> listed;
    for (auto [pid, ppid] : l) {
      listed.insert(pid);
      EXPECT_EQ(ppid, ::getpid());
    }
    EXPECT_EQ(listed, pids);
    EXPECT_TRUE(writes.empty());
  });
}

}  // namespace
