// A straight line fitted to measured points (experiment cost: milliseconds and MiB per image and per layer).
#pragma once

#include <vector>

namespace cnnzoo::experiments {

struct LineFit {
  double slope = 0, intercept = 0;
  double r2 = 0;  ///< the share of y's variance the line explains (1 for a flat or a perfect line)
};

/// Least squares y = intercept + slope x over the points (x[i], y[i]); x and y of the same length. Fewer
/// than two distinct x give slope 0 through the mean.
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace cnnzoo::experiments
