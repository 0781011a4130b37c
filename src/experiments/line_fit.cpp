#include "experiments/line_fit.h"

#include <cstddef>

namespace cnnzoo::experiments {

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty()) return {};
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  LineFit f;
  f.slope = sxx > 0 ? sxy / sxx : 0;
  f.intercept = my - f.slope * mx;
  f.r2 = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 1;
  return f;
}

}  // namespace cnnzoo::experiments
