// Compares the oneDNN inference engine with the reference interpreter on every output of a graph.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::testing_oracle {

/// Largest |a - b| relative to the largest |b| (at least 1, so values near zero are held absolutely).
inline double relative_error(const Tensor& a, const Tensor& b) {
  const auto x = a.f32();
  const auto y = b.f32();
  double worst = 0, scale = 1;
  for (std::size_t i = 0; i < y.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(x[i]) - y[i]));
    scale = std::max(scale, std::abs(static_cast<double>(y[i])));
  }
  return worst / scale;
}

/// Empty when every output of `ours` is within `tolerance` of `expected`; otherwise which one is not.
inline std::string mismatch(const Graph& g, const std::vector<Tensor>& ours, const std::vector<Tensor>& expected,
                            double tolerance) {
  if (ours.size() != expected.size()) return fmt::format("{} outputs, expected {}", ours.size(), expected.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const std::string name = g.value(g.outputs()[i]).name;
    if (ours[i].shape() != expected[i].shape()) return fmt::format("output '{}': shape differs", name);
    const double e = relative_error(ours[i], expected[i]);
    if (!(e <= tolerance)) return fmt::format("output '{}': relative error {:.3g}", name, e);
  }
  return {};
}

/// Runs the engine twice on one plan (a step that overwrites persistent memory shows on the second run)
/// and the reference interpreter: empty when every output agrees, else which run and output do not.
inline std::string engine_vs_reference(const Graph& g, const Parameters& p, const Tensor& x, double tolerance = 1e-5) {
  InferenceEngine engine(g, p);
  const std::vector<Tensor> expected = run_reference(g, p, x);
  for (const char* run : {"first run", "second run"}) {
    const std::string wrong = mismatch(g, engine.run(x), expected, tolerance);
    if (!wrong.empty()) return fmt::format("{}: {}", run, wrong);
  }
  return {};
}

inline void expect_engine_matches_reference(const Graph& g, const Parameters& p, const Tensor& x,
                                            double tolerance = 1e-5) {
  EXPECT_EQ(engine_vs_reference(g, p, x, tolerance), "");
}

}  // namespace cnnzoo::testing_oracle
