#include "timing.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "progress.h"

namespace cnnzoo::cli {
namespace {

// Short runs finish before a progress line would say anything useful.
constexpr double kProgressAfterSeconds = 3.0;

double milliseconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double median(std::vector<double> values) {
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  return (*std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid)) + upper) / 2;
}

Latency time_iterations(const std::function<void()>& work, int64_t warmup, int64_t iterations,
                        const std::string& title) {
  const int64_t total = warmup + iterations;
  std::unique_ptr<Progress> bar;
  Latency result;
  const auto started = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < total; ++i) {
    const double ms = milliseconds_of(work);
    if (i >= warmup) result.samples_ms.push_back(ms);
    if (i == 0 && ms * static_cast<double>(total) > 1000 * kProgressAfterSeconds) {
      bar = std::make_unique<Progress>(title, total, "it", stderr, started);
    }
    if (bar) bar->update(i + 1, i < warmup ? "warm-up" : "");
  }
  if (bar) bar->finish();
  result.median_ms = median(result.samples_ms);
  result.min_ms = *std::min_element(result.samples_ms.begin(), result.samples_ms.end());
  result.max_ms = *std::max_element(result.samples_ms.begin(), result.samples_ms.end());
  return result;
}

}  // namespace cnnzoo::cli
