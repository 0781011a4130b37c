#include "machine_peak.h"

#include <cpuid.h>
#include <fmt/format.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "cnnzoo/error.h"
#include "worker_threads.h"

namespace cnnzoo::cli {
namespace {

using Clock = std::chrono::steady_clock;

// FMAs per chain per chunk; a chunk takes some microseconds, so reading the clock between chunks
// costs well under 1%.
constexpr int64_t kChunk = 4096;

// Enough independent accumulators to cover FMA latency x FMA pipes (4 x 2 on current x86 cores) with
// room to spare, while still fitting in the register file (32 zmm; 16 ymm, of which two hold a and b).
constexpr int kZmmChains = 16;
constexpr int kYmmChains = 12;

// x = x * a + b converges to b / (1 - a) = 1: no overflow, no denormals.
constexpr float kA = 0.999999f, kB = 1e-6f;

// Short bursts, the best kept: on a busy machine the scheduler leaves the cores free for a few
// milliseconds at a time, and a burst that fits in such a gap measures the cores, not the load.
constexpr double kBurstSeconds = 0.002;

template <std::size_t N>
float sum_of(const float (&lanes)[N]) {
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

// Not instrumented by the sanitizers: their checks would keep the accumulators in memory, and a sanitizer
// build would measure a fraction of the peak.
__attribute__((target("avx512f"), no_sanitize("address", "undefined"))) float fma_chunk_avx512() {
  const __m512 a = _mm512_set1_ps(kA), b = _mm512_set1_ps(kB);
  __m512 acc[kZmmChains];
  for (__m512& x : acc) x = _mm512_set1_ps(0.5f);
  for (int64_t i = 0; i < kChunk; ++i) {
#pragma GCC unroll 16
    for (__m512& x : acc) x = _mm512_fmadd_ps(x, a, b);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < kZmmChains; ++k) sum = _mm512_add_ps(sum, acc[k]);
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps, which GCC 12 warns about
  _mm512_store_ps(lanes, sum);
  return sum_of(lanes);
}

__attribute__((target("avx2,fma"), no_sanitize("address", "undefined"))) float fma_chunk_avx2() {
  const __m256 a = _mm256_set1_ps(kA), b = _mm256_set1_ps(kB);
  __m256 acc[kYmmChains];
  for (__m256& x : acc) x = _mm256_set1_ps(0.5f);
  for (int64_t i = 0; i < kChunk; ++i) {
#pragma GCC unroll 12
    for (__m256& x : acc) x = _mm256_fmadd_ps(x, a, b);
  }
  __m256 sum = acc[0];
  for (int k = 1; k < kYmmChains; ++k) sum = _mm256_add_ps(sum, acc[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return sum_of(lanes);
}

// x += a0 * b0 + a1 * b1 per fp32 lane (vdpbf16ps): 2 bf16 multiply-adds per lane per instruction. With
// a = b = 2^-10 a chunk adds 2^-7 to each lane: no overflow, no denormals.
__attribute__((target("avx512bf16,avx512f"), no_sanitize("address", "undefined"))) float dpbf16_chunk_avx512() {
  const __m512 small = _mm512_set1_ps(1.0f / 1024);
  const __m512bh a = _mm512_cvtne2ps_pbh(small, small);
  __m512 acc[kZmmChains];
  for (__m512& x : acc) x = _mm512_set1_ps(0.5f);
  for (int64_t i = 0; i < kChunk; ++i) {
#pragma GCC unroll 16
    for (__m512& x : acc) x = _mm512_dpbf16_ps(x, a, a);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < kZmmChains; ++k) sum = _mm512_add_ps(sum, acc[k]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  return sum_of(lanes);
}

// AMX: tdpbf16ps multiplies a 16x32 bf16 tile by a 32x16 one into a 16x16 fp32 tile, 16 x 16 x 32 multiply-adds
// an instruction. Four independent accumulators (tiles 0-3) from two A tiles (4, 5) and two B tiles (6, 7)
// cover its latency, the layout oneDNN's kernels use.
constexpr int64_t kAmxChunk = 256;
constexpr int kAmxAccumulators = 4;
constexpr double kAmxMacsPerInstruction = 16 * 16 * 32;

// The tile configuration of palette 1 (Intel SDM, LDTILECFG): 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 0, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

__attribute__((target("amx-tile,amx-bf16"), no_sanitize("address", "undefined"))) float dpbf16_chunk_amx() {
  TileConfig config;
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  // Every operand element is bf16 2^-10 (bits 0x3a80): a chunk adds 256 x 32 x 2^-20 = 2^-7 to each element.
  alignas(64) uint16_t operand[16 * 32];
  std::fill(std::begin(operand), std::end(operand), uint16_t{0x3a80});
  alignas(64) float result[16 * 16];
  // The tile instructions reach memory through addresses in registers, unseen by the compiler: these barriers
  // keep the operand's stores before the loads, and the result's read after the store.
  __asm__ volatile("" : : "r"(operand) : "memory");
  _tile_loadconfig(&config);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t i = 0; i < kAmxChunk; ++i) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, result, 64);
  __asm__ volatile("" : : "r"(result) : "memory");
  _tile_release();
  return result[0];
}

// A measured kernel: one chunk of independent chains, and the FLOPs it does.
struct Kernel {
  float (*chunk)();
  double flops_per_chunk;
};

Kernel fp32_kernel(bool avx512) {
  // chains x lanes x 2 per FMA
  return avx512 ? Kernel{fma_chunk_avx512, kChunk * kZmmChains * 16 * 2.0}
                : Kernel{fma_chunk_avx2, kChunk * kYmmChains * 8 * 2.0};
}

Kernel bf16_kernel(const std::string& unit) {
  // avx512_bf16: chains x 16 lanes x 2 multiply-adds x 2; AMX: instructions x multiply-adds x 2.
  return unit == "amx_bf16" ? Kernel{dpbf16_chunk_amx, kAmxChunk * kAmxAccumulators * kAmxMacsPerInstruction * 2}
                            : Kernel{dpbf16_chunk_avx512, kChunk * kZmmChains * 16 * 2 * 2.0};
}

// One burst: the threads start together and each runs chunks for `seconds`. The rate is all chunks over
// the window from the first start to the last end, so threads that did not overlap cannot inflate it.
double burst_gflops(int threads, double seconds, Kernel kernel) {
  if (threads < 1) throw Error(fmt::format("the machine peak needs at least 1 thread, got {}", threads));
  const auto n = static_cast<std::size_t>(threads);
  std::vector<int64_t> chunks(n, 0);
  std::vector<Clock::time_point> starts(n), ends(n);
  std::vector<float> sinks(n, 0);
  run_together(
      n, [&](std::size_t) { kernel.chunk(); },  // the vector units may power up on first use
      [&](std::size_t i) {
        starts[i] = Clock::now();
        const Clock::time_point deadline =
            starts[i] + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
        do {
          sinks[i] += kernel.chunk();
          ++chunks[i];
        } while (Clock::now() < deadline);
        ends[i] = Clock::now();
      });

  int64_t total = 0;
  for (int64_t c : chunks) total += c;
  volatile float keep = 0;  // the chains' results stay observable, so the compiler keeps the work
  for (float s : sinks) keep = keep + s;
  const double elapsed = std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) -
                                                       *std::min_element(starts.begin(), starts.end()))
                             .count();
  return static_cast<double>(total) * kernel.flops_per_chunk / elapsed / 1e9;
}

double best_of_bursts(int threads, double seconds, Kernel kernel) {
  const int bursts = std::max(1, static_cast<int>(seconds / kBurstSeconds));
  double best = 0;
  for (int b = 0; b < bursts; ++b) best = std::max(best, burst_gflops(threads, kBurstSeconds, kernel));
  return best;
}

// Linux hands out the AMX tile data state only on request (arch_prctl ARCH_REQ_XCOMP_PERM), once per process.
bool amx_permitted() {
  constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  static const bool granted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  return granted;
}

}  // namespace

MachinePeak measure_machine_peak(int threads, double seconds) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    throw Error("the machine peak needs AVX2 and FMA, which this CPU lacks");
  }
  return {.gflops = best_of_bursts(threads, seconds, fp32_kernel(avx512)),
          .threads = threads,
          .precision = "fp32",
          .isa = avx512 ? "avx512f" : "avx2+fma"};
}

namespace {

// AMX tiles and their bf16 instructions: CPUID leaf 7, EDX bits 24 and 22 (clang before 16 knows no "amx-tile"
// for __builtin_cpu_supports).
bool cpu_has_amx_bf16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return ((edx >> 24) & 1) != 0 && ((edx >> 22) & 1) != 0;
}

}  // namespace

std::optional<std::string> bf16_unit() {
  __builtin_cpu_init();
  if (cpu_has_amx_bf16() && amx_permitted()) return "amx_bf16";
  if (__builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f")) return "avx512_bf16";
  return std::nullopt;
}

std::optional<MachinePeak> measure_bf16_peak(int threads, double seconds) {
  const std::optional<std::string> unit = bf16_unit();
  if (!unit) return std::nullopt;
  return MachinePeak{.gflops = best_of_bursts(threads, seconds, bf16_kernel(*unit)),
                     .threads = threads,
                     .precision = "bf16",
                     .isa = *unit};
}

}  // namespace cnnzoo::cli
