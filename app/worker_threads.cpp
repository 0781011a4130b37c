#include "worker_threads.h"

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <vector>

#include "cnnzoo/error.h"

namespace cnnzoo::cli {

void run_together(std::size_t count, const WorkerTask& warm_up, const WorkerTask& work, const ThreadSpawner& spawn) {
  enum Start : int { kWait, kGo, kCancel };
  std::atomic<std::size_t> ready{0};
  std::atomic<int> start{kWait};
  std::vector<std::thread> threads;
  threads.reserve(count);  // before any thread runs: a bad_alloc here leaves nothing to join
  auto release_and_join = [&](Start signal) {
    start.store(signal, std::memory_order_release);
    for (std::thread& t : threads) t.join();
  };
  try {
    for (std::size_t i = 0; i < count; ++i) {
      std::function<void()> body = [&, i] {
        warm_up(i);
        ready.fetch_add(1);
        int s = kWait;
        while ((s = start.load(std::memory_order_acquire)) == kWait) {
        }
        if (s == kGo) work(i);
      };
      threads.push_back(spawn ? spawn(std::move(body)) : std::thread(std::move(body)));
    }
  } catch (const std::exception& e) {  // std::system_error (EAGAIN at a thread or memory limit), bad_alloc
    const std::size_t started = threads.size();
    release_and_join(kCancel);
    throw Error(fmt::format("could start only {} of {} threads ({}); lower --threads", started, count, e.what()));
  }
  while (ready.load() < count) std::this_thread::yield();
  release_and_join(kGo);
}

}  // namespace cnnzoo::cli
