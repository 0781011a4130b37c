// Helpers of the reference-kernel tests: owned buffers with shapes, seeded random data and a central
// finite-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cnnzoo/error.h"
#include "cnnzoo/reference.h"
#include "ops/rules.h"

namespace cnnzoo::test {

/// A buffer that owns its values, with views for the kernels.
template <typename T = double>
struct Buf {
  Dims shape;
  std::vector<T> v;
  explicit Buf(Dims s) : shape(std::move(s)), v(static_cast<std::size_t>(numel(shape))) {}
  Buf(Dims s, std::vector<T> values) : shape(std::move(s)), v(std::move(values)) {}
  ref::In<T> in() const { return {std::span<const T>(v), shape}; }
  ref::Out<T> out() { return {std::span<T>(v), shape}; }
};

/// The output shape of an op as the graph's shape rule gives it.
inline Dims rule_shape(OpKind op, const Attrs& attrs, std::vector<Dims> in) {
  const std::string node = "test";
  return ops::rules(op).shape(ops::OpContext{node, attrs, in});
}

/// Uniform values in [lo, hi).
inline Buf<double> random_buf(std::mt19937& rng, Dims shape, double lo = -1.0, double hi = 1.0) {
  Buf<double> b(std::move(shape));
  std::uniform_real_distribution<double> u(lo, hi);
  for (double& x : b.v) x = u(rng);
  return b;
}

/// Distinct values (a shuffled ladder with step 0.05) so that max pooling has no ties.
inline Buf<double> distinct_buf(std::mt19937& rng, Dims shape) {
  Buf<double> b(std::move(shape));
  for (std::size_t i = 0; i < b.v.size(); ++i) b.v[i] = 0.05 * static_cast<double>(i) - 1.0;
  std::shuffle(b.v.begin(), b.v.end(), rng);
  return b;
}

/// Values of magnitude in [0.1, 1] with random signs: no relu kink within a finite-difference step.
inline Buf<double> away_from_zero(std::mt19937& rng, Dims shape) {
  Buf<double> b = random_buf(rng, std::move(shape), 0.1, 1.0);
  std::bernoulli_distribution sign(0.5);
  for (double& x : b.v) x = sign(rng) ? x : -x;
  return b;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

/// Checks `analytic` is d loss / d param by central differences (eps 1e-6, relative tolerance 1e-6 with
/// an absolute floor of 1e-6), and that it is not all zeros, which would pass vacuously.
inline void expect_gradient(const std::string& what, std::vector<double>& param, const std::vector<double>& analytic,
                            const std::function<double()>& loss) {
  SCOPED_TRACE(what);
  ASSERT_EQ(param.size(), analytic.size());
  ASSERT_GT(std::sqrt(dot(analytic, analytic)), 1e-8) << "analytic gradient of " << what << " is all zeros";
  constexpr double eps = 1e-6, tol = 1e-6;
  for (std::size_t i = 0; i < param.size(); ++i) {
    const double saved = param[i];
    param[i] = saved + eps;
    const double up = loss();
    param[i] = saved - eps;
    const double down = loss();
    param[i] = saved;
    const double numeric = (up - down) / (2 * eps);
    ASSERT_NEAR(analytic[i], numeric, tol * std::max(1.0, std::abs(numeric))) << what << " element " << i;
  }
}

}  // namespace cnnzoo::test
