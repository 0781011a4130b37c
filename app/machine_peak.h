// The peak of this machine's arithmetic units, measured rather than looked up: clock speeds, FMA units and
// vector widths vary too much between CPUs (and under virtualisation) for a table to be trusted.
#pragma once

#include <optional>
#include <string>

namespace cnnzoo::cli {

struct MachinePeak {
  double gflops = 0;  ///< GFLOP/s (a multiply-add counts as 2 FLOPs), all threads together
  int threads = 0;
  std::string precision = "fp32";  ///< "fp32" or "bf16"
  /// The unit measured: "avx512f" or "avx2+fma" (fp32 FMA), "avx512_bf16" (vdpbf16ps) or "amx_bf16" (tdpbf16ps).
  std::string isa;
};

/// The fp32 peak: independent FMA chains on `threads` threads for about `seconds` (the best of short bursts).
/// Throws cnnzoo::Error on a CPU without AVX2 and FMA.
MachinePeak measure_machine_peak(int threads, double seconds = 0.2);

/// The bf16 unit this CPU has and this process may use, the one oneDNN's bf16 kernels run on: "amx_bf16"
/// (where Linux grants the tile data permission), else "avx512_bf16", else nothing (bf16 then runs on the
/// fp32 units).
std::optional<std::string> bf16_unit();

/// The bf16 peak of bf16_unit(), measured as measure_machine_peak (bf16 dot-product chains in short bursts);
/// nothing on a CPU without a bf16 unit.
std::optional<MachinePeak> measure_bf16_peak(int threads, double seconds = 0.2);

}  // namespace cnnzoo::cli
