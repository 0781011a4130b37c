#include "non_finite_warning.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdio>

namespace cnnzoo::cli {
namespace {

// The row-major index of element `flat` in `shape`.
std::vector<int64_t> unravel(int64_t flat, const Dims& shape) {
  std::vector<int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] > 0 ? flat % shape[d] : 0;
    flat = shape[d] > 0 ? flat / shape[d] : 0;
  }
  return index;
}

}  // namespace

std::string non_finite_message(const std::string& what, const Tensor& output) {
  int64_t nan = 0, inf = 0, first = -1;
  const auto values = output.f32();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    (std::isnan(values[i]) ? nan : inf) += 1;
    if (first < 0) first = static_cast<int64_t>(i);
  }
  if (first < 0) return {};
  return fmt::format("the output of {} holds {} NaN and {} Inf values (first at [{}])", what, nan, inf,
                     fmt::join(unravel(first, output.shape()), ", "));
}

void warn_if_non_finite(const std::string& what, const Tensor& output) {
  const std::string message = non_finite_message(what, output);
  if (!message.empty()) fmt::print(stderr, "cnnzoo: warning: {}\n", message);
}

}  // namespace cnnzoo::cli
