#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace tide::testing {

/// Zombies among this process's children: entries of /proc whose parent is us, in state Z.
inline int zombie_children() {
  int zombies = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent == self && state == 'Z') ++zombies;
  }
  ::closedir(proc);
  return zombies;
}

}  // namespace tide::testing
