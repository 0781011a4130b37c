// The peak of this machine's arithmetic units, measured rather than looked up: clock speeds, FMA units and
// vector widths vary too much between CPUs (and under virtualisation) for a table to be trusted.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cnnzoo::cli {

struct MachinePeak {
  /// GFLOP/s, or for int8 GOP/s (integer operations), all threads together; a multiply-add counts as 2.
  double gflops = 0;
  int threads = 0;
  std::string precision = "fp32";  ///< The operands' type: "fp32", "bf16" or "int8"
  /// The unit measured: "avx512f" or "avx2+fma" (fp32 FMA), "avx512_bf16" (vdpbf16ps) or "amx_bf16" (tdpbf16ps),
  /// "avx512_vnni" or "avx_vnni" (vpdpbusd on zmm or ymm) or "amx_int8" (tdpbusd).
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

/// The int8 units (u8 x s8 multiply-adds into int32) this CPU has and this process may use, the one oneDNN's
/// int8 kernels prefer first: "amx_int8" (where Linux grants the tile data permission), "avx512_vnni",
/// "avx_vnni".
std::vector<std::string> int8_units();

/// The first of int8_units(), the one oneDNN's int8 kernels run on; nothing on a CPU without one.
std::optional<std::string> int8_unit();

/// The int8 peak (GOP/s) of one of int8_units(), measured as measure_machine_peak: tdpbusd tiles or vpdpbusd
/// chains in short bursts. Throws cnnzoo::Error for a unit that is not among them.
MachinePeak measure_int8_unit_peak(const std::string& unit, int threads, double seconds = 0.2);

/// The int8 peak of int8_unit(); nothing on a CPU without an int8 unit.
std::optional<MachinePeak> measure_int8_peak(int threads, double seconds = 0.2);

}  // namespace cnnzoo::cli
