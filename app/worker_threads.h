// Threads that start their timed work together, for the machine-peak bursts; a thread that cannot be
// started (a process or memory limit) is an error, never a std::terminate.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>

namespace cnnzoo::cli {

using WorkerTask = std::function<void(std::size_t index)>;
/// Starts a thread running `body`; std::thread by default, replaced in tests to fail on purpose.
using ThreadSpawner = std::function<std::thread(std::function<void()> body)>;

/// Runs warm_up(i) on `count` new threads, waits until every one has, then runs work(i) on all of them at
/// once and joins them. When thread k cannot be started, the k already started are released without
/// running `work` and joined (a joinable std::thread destroyed would end the process), and an Error says
/// how many started. With no spawner, threads are std::threads.
void run_together(std::size_t count, const WorkerTask& warm_up, const WorkerTask& work,
                  const ThreadSpawner& spawn = {});

}  // namespace cnnzoo::cli
