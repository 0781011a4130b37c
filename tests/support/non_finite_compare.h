// Comparing outputs that may hold NaN and infinity (issue 12: they propagate as in PyTorch).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "cnnzoo/tensor.h"

namespace cnnzoo::test {

/// Empty when `ours` has the shape of `expected`, NaN exactly where `expected` has, the same infinities,
/// and finite values within `tolerance` times the largest finite |expected| (at least 1); else the first
/// element that differs.
inline std::string non_finite_mismatch(const Tensor& ours, const Tensor& expected, double tolerance = 1e-5) {
  if (ours.shape() != expected.shape()) {
    return fmt::format("shape {} where the reference has {}", to_string(ours.shape()), to_string(expected.shape()));
  }
  const auto a = ours.f32();
  const auto b = expected.f32();
  double scale = 1;
  for (float v : b) {
    if (std::isfinite(v)) scale = std::max(scale, std::abs(static_cast<double>(v)));
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    const bool same = std::isnan(b[i])   ? std::isnan(a[i])
                      : std::isinf(b[i]) ? a[i] == b[i]
                                         : std::isfinite(a[i]) && std::abs(a[i] - b[i]) <= tolerance * scale;
    if (!same) return fmt::format("element {}: {} where the reference has {}", i, a[i], b[i]);
  }
  return {};
}

/// How many NaN values `t` holds.
inline int64_t count_nan(const Tensor& t) {
  return std::count_if(t.f32().begin(), t.f32().end(), [](float v) { return std::isnan(v); });
}

}  // namespace cnnzoo::test
