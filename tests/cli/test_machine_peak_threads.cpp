// The machine peak's threads (issue 12, row "threads"): a thread that cannot be started is an Error after
// the started ones are joined, never "terminate called without an active exception".
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <system_error>

#include "cnnzoo/error.h"
#include "machine_peak.h"
#include "worker_threads.h"

namespace cnnzoo::cli {
namespace {

// Starts std::threads until `fail_at`, then throws what pthread_create's EAGAIN becomes.
ThreadSpawner failing_at(int fail_at) {
  auto started = std::make_shared<int>(0);
  return [started, fail_at](std::function<void()> body) {
    if (++*started > fail_at) {
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "thread");
    }
    return std::thread(std::move(body));
  };
}

TEST(WorkerThreads, EveryThreadWarmsUpThenWorksOnce) {
  std::atomic<int> warmed{0};
  std::vector<std::atomic<int>> worked(6);
  run_together(
      6, [&](std::size_t) { warmed.fetch_add(1); },
      [&](std::size_t i) {
        EXPECT_EQ(warmed.load(), 6);  // no work starts before every thread has warmed up
        worked[i].fetch_add(1);
      });
  for (const auto& w : worked) EXPECT_EQ(w.load(), 1);
}

TEST(WorkerThreads, AFailedStartJoinsTheStartedOnesAndThrows) {
  std::atomic<int> warmed{0}, worked{0};
  try {
    run_together(
        8, [&](std::size_t) { warmed.fetch_add(1); }, [&](std::size_t) { worked.fetch_add(1); }, failing_at(3));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "could start only 3 of 8 threads (thread: Resource temporarily unavailable); lower --threads");
  }
  EXPECT_EQ(warmed.load(), 3);  // the three started threads ran to their end: they were joined
  EXPECT_EQ(worked.load(), 0);  // and released without timing anything
  // The very first start failing leaves nothing to join.
  EXPECT_THROW(run_together(
                   2, [](std::size_t) {}, [](std::size_t) {}, failing_at(0)),
               Error);
}

// The real measurement in a child process whose address space leaves room for a few thread stacks only:
// the 64 threads asked for cannot all start. The child reports what it caught through its exit status
// and the message through a file.
TEST(MachinePeakThreads, ThreadsThatCannotStartAreAnErrorNotATerminate) {
  const std::string message_path = ::testing::TempDir() + "peak_message_" + std::to_string(::getpid());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t room = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (40u << 20);
    const rlimit limit{room, room};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
    int status = 11;  // returned without an error
    try {
      measure_machine_peak(64, 0.002);
    } catch (const Error& e) {
      std::ofstream(message_path) << e.what();
      status = 0;
    } catch (...) {
      status = 12;
    }
    _exit(status);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::string message;
  std::getline(std::ifstream(message_path), message);
  std::remove(message_path.c_str());
  EXPECT_TRUE(message.starts_with("could start only ")) << message;
  EXPECT_NE(message.find(" of 64 threads ("), std::string::npos) << message;
  EXPECT_TRUE(message.ends_with("); lower --threads")) << message;
}

}  // namespace
}  // namespace cnnzoo::cli
