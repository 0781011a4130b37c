// An engine's thread count, scoped to the engine's own work: the caller's OpenMP settings are its own.
#pragma once

#include <omp.h>

namespace cnnzoo::onednn {

/// Sets the calling thread's OpenMP thread count (its nthreads-var, which omp_set_num_threads sets) to
/// `threads` while it lives and puts back the count before; `threads` <= 0 leaves the count as it is.
/// oneDNN reads omp_get_max_threads() both when it creates a primitive and when it runs one, so an engine
/// holds one around its compile and around each run or step.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()), sets_(threads > 0) {
    if (sets_) omp_set_num_threads(threads);
  }
  ~ScopedOmpThreads() {
    if (sets_) omp_set_num_threads(previous_);
  }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
  bool sets_;
};

}  // namespace cnnzoo::onednn
