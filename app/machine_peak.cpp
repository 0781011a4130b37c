#include "machine_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "cnnzoo/error.h"

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

float run_chunk(bool avx512) { return avx512 ? fma_chunk_avx512() : fma_chunk_avx2(); }

// One burst: the threads start together and each runs chunks for `seconds`. The rate is all chunks over
// the window from the first start to the last end, so threads that did not overlap cannot inflate it.
double burst_gflops(int threads, double seconds, bool avx512) {
  const auto n = static_cast<std::size_t>(threads);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<int64_t> chunks(n, 0);
  std::vector<Clock::time_point> starts(n), ends(n);
  std::vector<float> sinks(n, 0);
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < n; ++i) {
    workers.emplace_back([&, i] {
      run_chunk(avx512);  // the vector units may power up on first use
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      starts[i] = Clock::now();
      const Clock::time_point deadline =
          starts[i] + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
      do {
        sinks[i] += run_chunk(avx512);
        ++chunks[i];
      } while (Clock::now() < deadline);
      ends[i] = Clock::now();
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (std::thread& w : workers) w.join();

  int64_t total = 0;
  for (int64_t c : chunks) total += c;
  volatile float keep = 0;  // the chains' results stay observable, so the compiler keeps the work
  for (float s : sinks) keep = keep + s;
  const double elapsed = std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) -
                                                       *std::min_element(starts.begin(), starts.end()))
                             .count();
  // FLOPs per chunk: chains x lanes x 2 per FMA.
  const double flops_per_chunk = avx512 ? kChunk * kZmmChains * 16 * 2.0 : kChunk * kYmmChains * 8 * 2.0;
  return static_cast<double>(total) * flops_per_chunk / elapsed / 1e9;
}

}  // namespace

MachinePeak measure_machine_peak(int threads, double seconds) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    throw Error("the machine peak needs AVX2 and FMA, which this CPU lacks");
  }
  MachinePeak peak{.gflops = 0, .threads = threads, .isa = avx512 ? "avx512f" : "avx2+fma"};
  const int bursts = std::max(1, static_cast<int>(seconds / kBurstSeconds));
  for (int b = 0; b < bursts; ++b) peak.gflops = std::max(peak.gflops, burst_gflops(threads, kBurstSeconds, avx512));
  return peak;
}

}  // namespace cnnzoo::cli
