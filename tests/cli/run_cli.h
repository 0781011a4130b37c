// Runs the cnnzoo binary the way a user would and captures what it prints and how it exits.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace cnnzoo::test {

struct CliResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

inline std::string slurp(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
    std::fclose(f);
  }
  return text;
}

/// Runs `cnnzoo ARGS` (ARGS as a shell would split them).
inline CliResult run_cli(const std::string& args) {
  // One file per process and call: CTest runs tests in parallel processes.
  static int calls = 0;
  const std::string err_path =
      ::testing::TempDir() + "cnnzoo_cli_stderr_" + std::to_string(::getpid()) + "_" + std::to_string(++calls) + ".txt";
  const std::string cmd = std::string(CNNZOO_BINARY) + " " + args + " 2>" + err_path;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + cmd);
  CliResult r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = slurp(err_path);
  std::remove(err_path.c_str());
  return r;
}

}  // namespace cnnzoo::test
