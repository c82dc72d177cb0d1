// Seed: 004 (多进程、线程、协程...), "通过Manager可以不同进程间实现数据的共享": ten processes write
// to a Manager dict and append to a Manager list; the parent prints both. A Manager is a
// server process that owns the real dict and list, and every write is a message to it. tide
// has no Manager: the same pattern is written out. The parent owns a plain map and vector,
// and each child sends its writes over a ProcessQueue (many writers, one reader); the
// parent applies them as they arrive. Python's dict keys of mixed types (1, "2", 0.25) are
// kept here as their printed form.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/process.hpp>
#include <tide/io/process_queue.hpp>

// One write a child asks for: ("dict", key, value) or ("list", pid, ppid).
using Write = std::tuple<std::string, std::string, std::string>;

// A child's handle on the parent's dict and list (what a Manager proxy is).
struct Proxy {
  tide::ProcessQueue<Write>& writes;
  void set(const std::string& key, const std::string& value) {
    tide::await(writes.put(Write{"dict", key, value}));
  }
  void append(pid_t pid, pid_t ppid) {
    tide::await(writes.put(Write{"list", std::to_string(pid), std::to_string(ppid)}));
  }
};

void f(int p_index, tide::ProcessQueue<Write>& writes) {
  Proxy shared{writes};
  shared.set("1", "'1'");      // d[1] = "1"
  shared.set("'2'", "2");      // d["2"] = 2
  shared.set("0.25", "None");  // d[0.25] = None
  shared.append(::getpid(), ::getppid());
  std::printf("process %d: wrote 3 keys and 1 item\n", p_index);
}

tide::Task<int> amain() {
  // [guide:manager-dict-list]
  constexpr int processes = 10, writes_each = 4;
  tide::ProcessQueue<Write> writes;
  std::vector<tide::Process> p_list;
  for (int i = 0; i < processes; ++i)
    p_list.push_back(tide::Process::start(f, i, writes));

  // The "manager": the parent applies every write; the dict keeps its first insertion order.
  std::vector<std::pair<std::string, std::string>> d;
  std::vector<std::pair<pid_t, pid_t>> l;
  for (int n = 0; n < processes * writes_each; ++n) {
    const Write w = co_await writes.get();
    const std::string& key = std::get<1>(w);
    const std::string& value = std::get<2>(w);
    if (std::get<0>(w) == "list") {
      l.emplace_back(std::stoi(key), std::stoi(value));
      continue;
    }
    auto slot = std::find_if(d.begin(), d.end(), [&](const auto& kv) { return kv.first == key; });
    if (slot == d.end())
      d.emplace_back(key, value);
    else
      slot->second = value;
  }
  for (auto& p : p_list)
    co_await p.wait();
  // [guide-end]

  std::string dict = "{";
  for (const auto& [key, value] : d)
    dict += (dict.size() > 1 ? ", " : "") + key + ": " + value;
  std::printf("%s}\n", dict.c_str());
  bool all_ours = true;
  for (std::size_t k = 0; k < l.size(); ++k) {  // one item a line, as pprint would
    std::printf("%s{'pid': %d, 'ppid': %d}%s\n", k == 0 ? "[" : " ", l[k].first, l[k].second,
                k + 1 == l.size() ? "]" : ",");
    all_ours = all_ours && l[k].second == ::getpid();
  }
  std::printf("%zu items, every ppid is the parent: %s\n", l.size(), all_ours ? "yes" : "no");
  co_return 0;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// ~ process 0: wrote 3 keys and 1 item
// ~ process 1: wrote 3 keys and 1 item
// ~ process 2: wrote 3 keys and 1 item
// ~ process 3: wrote 3 keys and 1 item
// ~ process 4: wrote 3 keys and 1 item
// ~ process 5: wrote 3 keys and 1 item
// ~ process 6: wrote 3 keys and 1 item
// ~ process 7: wrote 3 keys and 1 item
// ~ process 8: wrote 3 keys and 1 item
// ~ process 9: wrote 3 keys and 1 item
// {1: '1', '2': 2, 0.25: None}
// [{'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>},
//  {'pid': <int>, 'ppid': <int>}]
// 10 items, every ppid is the parent: yes
