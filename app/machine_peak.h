// The fp32 peak of this machine, measured rather than looked up: clock speeds, FMA units and vector
// widths vary too much between CPUs (and under virtualisation) for a table to be trusted.
#pragma once

#include <string>

namespace cnnzoo::cli {

struct MachinePeak {
  double gflops = 0;  ///< fp32 GFLOP/s (an FMA counts as 2 FLOPs), all threads together
  int threads = 0;
  std::string isa;  ///< "avx512f" or "avx2+fma"
};

/// Runs independent FMA chains on `threads` threads for about `seconds` (the best of short bursts) and
/// returns the rate. Throws cnnzoo::Error on a CPU without AVX2 and FMA.
MachinePeak measure_machine_peak(int threads, double seconds = 0.2);

}  // namespace cnnzoo::cli
