#include "machine_peak.h"

#include <cpuid.h>
#include <fmt/format.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
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

template <typename Lane, std::size_t N>
float sum_of(const Lane (&lanes)[N]) {
  float total = 0;
  for (Lane v : lanes) total += static_cast<float>(v);
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

// x += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3 per int32 lane (vpdpbusd, a unsigned bytes, b signed): 4 int8
// multiply-adds per lane per instruction. With every byte 1 a chunk adds 4096 x 4 = 2^14 to each lane, far
// from int32's limit (the chains start again each chunk).
__attribute__((target("avx512vnni,avx512f"), no_sanitize("address", "undefined"))) float dpbusd_chunk_avx512() {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i acc[kZmmChains];
  for (__m512i& x : acc) x = _mm512_setzero_si512();
  for (int64_t i = 0; i < kChunk; ++i) {
#pragma GCC unroll 16
    for (__m512i& x : acc) x = _mm512_dpbusd_epi32(x, ones, ones);
  }
  __m512i sum = acc[0];
  for (int k = 1; k < kZmmChains; ++k) sum = _mm512_add_epi32(sum, acc[k]);
  alignas(64) int32_t lanes[16];  // not _mm512_cvtepi32_ps, which GCC 12 warns about
  _mm512_store_si512(lanes, sum);
  return sum_of(lanes);
}

// The same on ymm with AVX-VNNI's VEX encoding, for CPUs with it but without AVX-512 VNNI. (GCC 12 passes
// these accumulators through extra register moves and stack stores; they cost no issue slots that matter: on
// an AMX Xeon the kernel runs 2 vpdpbusd a cycle, the instruction's full rate.)
__attribute__((target("avxvnni,avx2"), no_sanitize("address", "undefined"))) float dpbusd_chunk_avxvnni() {
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i acc[kYmmChains];
  for (__m256i& x : acc) x = _mm256_setzero_si256();
  for (int64_t i = 0; i < kChunk; ++i) {
#pragma GCC unroll 12
    for (__m256i& x : acc) x = _mm256_dpbusd_avx_epi32(x, ones, ones);
  }
  __m256i sum = acc[0];
  for (int k = 1; k < kYmmChains; ++k) sum = _mm256_add_epi32(sum, acc[k]);
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  return sum_of(lanes);
}

// AMX: tdpbf16ps multiplies a 16x32 bf16 tile by a 32x16 one into a 16x16 fp32 tile, 16 x 16 x 32 multiply-adds
// an instruction; tdpbusd a 16x64 u8 tile by a 64x16 s8 one into a 16x16 int32 tile, 16 x 16 x 64. Four
// independent accumulators (tiles 0-3) from two A tiles (4, 5) and two B tiles (6, 7) cover the latency, the
// layout oneDNN's kernels use. Every tile is 16 rows of 64 bytes for both products.
constexpr int64_t kAmxChunk = 256;
constexpr int kAmxAccumulators = 4;
constexpr double kAmxBf16MacsPerInstruction = 16 * 16 * 32, kAmxInt8MacsPerInstruction = 16 * 16 * 64;

// The tile configuration of palette 1 (Intel SDM, LDTILECFG): 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 0, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

enum class AmxProduct { bf16, int8 };

// One chunk of AMX tile products: the setup and the result's read are the same for both products, only the
// instruction differs. (Tile instructions take their tile numbers as constants, through macros, so the
// product is a template argument rather than a function passed in.)
template <AmxProduct product>
__attribute__((target("amx-tile,amx-bf16,amx-int8"), no_sanitize("address", "undefined"))) float amx_chunk() {
  TileConfig config;
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  // bf16: every operand element is 2^-10 (bits 0x3a80), and a chunk adds 256 x 32 x 2^-20 = 2^-7 to each
  // element. int8: every byte is 1 (unsigned in A, signed in B), and a chunk adds 256 x 64 = 2^14 to each
  // int32 element, far from overflow.
  alignas(64) uint16_t operand[16 * 32];
  std::fill(std::begin(operand), std::end(operand), product == AmxProduct::bf16 ? uint16_t{0x3a80} : uint16_t{0x0101});
  alignas(64) uint32_t result[16 * 16];  // fp32 or int32
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
    if constexpr (product == AmxProduct::bf16) {
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    } else {
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
  }
  _tile_stored(0, result, 64);
  __asm__ volatile("" : : "r"(result) : "memory");
  _tile_release();
  return product == AmxProduct::bf16 ? std::bit_cast<float>(result[0])
                                     : static_cast<float>(static_cast<int32_t>(result[0]));
}

// A measured kernel: one chunk of independent chains, and the operations it does (FLOPs; integer operations
// for int8), a multiply-add counting as 2.
struct Kernel {
  float (*chunk)();
  double ops_per_chunk;
};

Kernel fp32_kernel(bool avx512) {
  // chains x lanes x 2 per FMA
  return avx512 ? Kernel{fma_chunk_avx512, kChunk * kZmmChains * 16 * 2.0}
                : Kernel{fma_chunk_avx2, kChunk * kYmmChains * 8 * 2.0};
}

Kernel bf16_kernel(const std::string& unit) {
  // avx512_bf16: chains x 16 lanes x 2 multiply-adds x 2; AMX: instructions x multiply-adds x 2.
  return unit == "amx_bf16"
             ? Kernel{amx_chunk<AmxProduct::bf16>, kAmxChunk * kAmxAccumulators * kAmxBf16MacsPerInstruction * 2}
             : Kernel{dpbf16_chunk_avx512, kChunk * kZmmChains * 16 * 2 * 2.0};
}

Kernel int8_kernel(const std::string& unit) {
  // vpdpbusd: chains x lanes x 4 multiply-adds x 2; AMX: instructions x multiply-adds x 2.
  if (unit == "amx_int8") {
    return {amx_chunk<AmxProduct::int8>, kAmxChunk * kAmxAccumulators * kAmxInt8MacsPerInstruction * 2};
  }
  if (unit == "avx512_vnni") return {dpbusd_chunk_avx512, kChunk * kZmmChains * 16 * 4 * 2.0};
  return {dpbusd_chunk_avxvnni, kChunk * kYmmChains * 8 * 4 * 2.0};
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
  return static_cast<double>(total) * kernel.ops_per_chunk / elapsed / 1e9;
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

// CPUID leaf 7's feature bits, read directly: clang before 16 knows no "amx-tile" or "avxvnni" for
// __builtin_cpu_supports. (Leaf 7 answers zeros for a subleaf it does not have.)
enum class Register { eax, edx };

bool leaf7_bit(unsigned subleaf, Register reg, int bit) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, subleaf, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (((reg == Register::eax ? eax : edx) >> bit) & 1) != 0;
}

// AMX tiles (subleaf 0, EDX bit 24) and one of their products: bf16 (bit 22) or int8 (bit 25).
constexpr int kAmxBf16Bit = 22, kAmxInt8Bit = 25;
bool cpu_has_amx(int product_bit) {
  return leaf7_bit(0, Register::edx, 24) && leaf7_bit(0, Register::edx, product_bit);
}

// AVX-VNNI: subleaf 1, EAX bit 4; AVX2's check also says the OS saves the ymm registers.
bool cpu_has_avx_vnni() { return leaf7_bit(1, Register::eax, 4) && __builtin_cpu_supports("avx2"); }

}  // namespace

std::optional<std::string> bf16_unit() {
  __builtin_cpu_init();
  if (cpu_has_amx(kAmxBf16Bit) && amx_permitted()) return "amx_bf16";
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

std::vector<std::string> int8_units() {
  __builtin_cpu_init();
  std::vector<std::string> units;
  if (cpu_has_amx(kAmxInt8Bit) && amx_permitted()) units.emplace_back("amx_int8");
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512f")) units.emplace_back("avx512_vnni");
  if (cpu_has_avx_vnni()) units.emplace_back("avx_vnni");
  return units;
}

std::optional<std::string> int8_unit() {
  const std::vector<std::string> units = int8_units();
  if (units.empty()) return std::nullopt;
  return units.front();
}

MachinePeak measure_int8_unit_peak(const std::string& unit, int threads, double seconds) {
  const std::vector<std::string> units = int8_units();
  if (std::find(units.begin(), units.end(), unit) == units.end()) {
    throw Error(fmt::format("this CPU has no int8 unit {} that this process may use", unit));
  }
  return {.gflops = best_of_bursts(threads, seconds, int8_kernel(unit)),
          .threads = threads,
          .precision = "int8",
          .isa = unit};
}

std::optional<MachinePeak> measure_int8_peak(int threads, double seconds) {
  const std::optional<std::string> unit = int8_unit();
  if (!unit) return std::nullopt;
  return measure_int8_unit_peak(*unit, threads, seconds);
}

}  // namespace cnnzoo::cli
