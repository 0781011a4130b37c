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

std::string non_finite_message(const std::string& subject, std::span<const float> values, const Dims& shape) {
  int64_t nan = 0, inf = 0, first = -1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    (std::isnan(values[i]) ? nan : inf) += 1;
    if (first < 0) first = static_cast<int64_t>(i);
  }
  if (first < 0) return {};
  return fmt::format("{} holds {} NaN and {} Inf values (first at [{}])", subject, nan, inf,
                     fmt::join(unravel(first, shape), ", "));
}

void warn_if_non_finite(const std::string& what, const Tensor& output) {
  const std::string message = non_finite_message("the output of " + what, output.f32(), output.shape());
  if (!message.empty()) fmt::print(stderr, "cnnzoo: warning: {}\n", message);
}

void warn_if_non_finite_input(const std::string& what, std::span<const float> values, const Dims& shape) {
  const std::string message = non_finite_message("the input " + what, values, shape);
  if (message.empty()) return;
  fmt::print(stderr,
             "cnnzoo: warning: {}; its batch runs on the reference interpreter, which carries NaN and Inf through as "
             "PyTorch does (slower)\n",
             message);
}

}  // namespace cnnzoo::cli
