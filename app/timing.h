// Timing of a repeated piece of work: warm-up runs, then timed runs summarised by their median.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cnnzoo::cli {

struct Latency {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  std::vector<double> samples_ms;  ///< every timed run, in order
};

/// Runs `work` `warmup` times untimed, then `iterations` times timed (each run on its own). When the
/// whole would take more than a few seconds (judged by the first run), it shows a Progress titled
/// `title` on stderr.
Latency time_iterations(const std::function<void()>& work, int64_t warmup, int64_t iterations,
                        const std::string& title);

/// The median of `values` (the mean of the middle two for an even count); `values` must not be empty.
double median(std::vector<double> values);

}  // namespace cnnzoo::cli
