// Runs the cnnzoo binary in the background, as its own process (no shell between), so that a test can
// signal or kill it at a moment of its choosing.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace cnnzoo::test {

/// A background `cnnzoo ARGS` (ARGS split at spaces) whose stdout and stderr go to the files given.
class SpawnedCli {
 public:
  SpawnedCli(const std::string& args, const std::string& out_file, const std::string& err_file) {
    std::vector<std::string> words{CNNZOO_BINARY};
    std::istringstream split(args);
    for (std::string w; split >> w;) words.push_back(w);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int failed = posix_spawn(&pid_, CNNZOO_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) throw std::runtime_error("cannot start " + std::string(CNNZOO_BINARY));
  }
  ~SpawnedCli() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  SpawnedCli(const SpawnedCli&) = delete;
  SpawnedCli& operator=(const SpawnedCli&) = delete;

  /// Sends `sig` unless the process has already been reaped. Never kill() with pid 0 or below: 0 is the
  /// caller's whole process group (ctest, make and CI with it), -1 every process the user may signal.
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  /// Whether it has ended (then status() tells how).
  bool finished() {
    if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = 0;
    return pid_ == 0;
  }
  /// Waits for the end; the raw wait status.
  int wait() {
    if (pid_ > 0) ::wait4(pid_, &status_, 0, &usage_);
    pid_ = 0;
    return status_;
  }
  int status() const { return status_; }
  /// The process's own peak resident memory, in MiB, once wait() has reaped it.
  long peak_mib() const { return usage_.ru_maxrss / 1024; }

 private:
  pid_t pid_ = 0;
  int status_ = 0;
  rusage usage_{};
};

}  // namespace cnnzoo::test
