// The CPU's feature flags as the kernel reports them, the oracle the machine-peak tests check the units
// against: Linux lists a feature only where it also supports the feature's register state.
#pragma once

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace cnnzoo::test {

/// The words of the first "flags" line of /proc/cpuinfo; empty where there is none.
inline std::set<std::string> cpu_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(cpuinfo, line);) {
    if (!line.starts_with("flags")) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

}  // namespace cnnzoo::test
