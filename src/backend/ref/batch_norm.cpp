// Reference batch normalisation over channel 1 of an (N, C, ...) tensor.
#include <cmath>

#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// N, C and the elements per (sample, channel).
struct BnGeom {
  int64_t n, c, inner;
  int64_t count() const { return n * inner; }
  int64_t index(int64_t s, int64_t ch, int64_t i) const { return (s * c + ch) * inner + i; }
};

template <typename X>
BnGeom check(std::string_view kernel, const attr::BatchNorm& a, const View<X>& x) {
  detail::expect_view(kernel, "input", x);
  detail::rule_shape(kernel, OpKind::BatchNorm, a, {x.shape});
  if (x.shape.size() < 2) detail::fail(kernel, fmt::format("expects an (N, C, ...) input, got {}", to_string(x.shape)));
  return {x.shape[0], x.shape[1], numel(x.shape) / (x.shape[0] * x.shape[1])};
}

template <typename S>
void expect_channels(std::string_view kernel, const BnGeom& g, std::initializer_list<std::pair<const char*, S>> spans) {
  for (const auto& [what, s] : spans) detail::expect_size(kernel, what, s, g.c);
}

template <typename T>
void normalise(const BnGeom& g, std::span<const T> x, std::span<const T> gamma, std::span<const T> beta,
               std::span<const T> mean, std::span<const T> invstd, std::span<T> y) {
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t i = 0; i < g.inner; ++i) {
        const int64_t j = g.index(s, ch, i);
        y[j] = (x[j] - mean[ch]) * invstd[ch] * gamma[ch] + beta[ch];
      }
}

}  // namespace

template <typename T>
void batch_norm_forward_training(const attr::BatchNorm& a, In<T> x, std::span<const T> gamma, std::span<const T> beta,
                                 std::span<T> running_mean, std::span<T> running_var, Out<T> y, std::span<T> save_mean,
                                 std::span<T> save_invstd) {
  constexpr std::string_view k = "batch_norm_forward_training";
  const BnGeom g = check(k, a, x);
  detail::expect_shape(k, "output", y, x.shape);
  expect_channels<std::span<const T>>(k, g, {{"gamma", gamma}, {"beta", beta}});
  expect_channels<std::span<T>>(k, g,
                                {{"running_mean", running_mean},
                                 {"running_var", running_var},
                                 {"save_mean", save_mean},
                                 {"save_invstd", save_invstd}});
  const int64_t m = g.count();
  for (int64_t ch = 0; ch < g.c; ++ch) {
    T sum = 0;
    for (int64_t s = 0; s < g.n; ++s)
      for (int64_t i = 0; i < g.inner; ++i) sum += x.data[g.index(s, ch, i)];
    const T mean = sum / T(m);
    T sq = 0;
    for (int64_t s = 0; s < g.n; ++s)
      for (int64_t i = 0; i < g.inner; ++i)
        sq += (x.data[g.index(s, ch, i)] - mean) * (x.data[g.index(s, ch, i)] - mean);
    const T var = sq / T(m);
    const T unbiased = m > 1 ? sq / T(m - 1) : var;
    save_mean[ch] = mean;
    save_invstd[ch] = T(1) / std::sqrt(var + T(a.eps));
    running_mean[ch] = T(1 - a.momentum) * running_mean[ch] + T(a.momentum) * mean;
    running_var[ch] = T(1 - a.momentum) * running_var[ch] + T(a.momentum) * unbiased;
  }
  normalise<T>(g, x.data, gamma, beta, save_mean, save_invstd, y.data);
}

template <typename T>
void batch_norm_forward_inference(const attr::BatchNorm& a, In<T> x, std::span<const T> gamma, std::span<const T> beta,
                                  std::span<const T> running_mean, std::span<const T> running_var, Out<T> y) {
  constexpr std::string_view k = "batch_norm_forward_inference";
  const BnGeom g = check(k, a, x);
  detail::expect_shape(k, "output", y, x.shape);
  expect_channels<std::span<const T>>(
      k, g, {{"gamma", gamma}, {"beta", beta}, {"running_mean", running_mean}, {"running_var", running_var}});
  std::vector<T> invstd(g.c);
  for (int64_t ch = 0; ch < g.c; ++ch) invstd[ch] = T(1) / std::sqrt(running_var[ch] + T(a.eps));
  normalise<T>(g, x.data, gamma, beta, running_mean, invstd, y.data);
}

template <typename T>
void batch_norm_backward(In<T> x, In<T> dy, std::span<const T> gamma, std::span<const T> save_mean,
                         std::span<const T> save_invstd, Out<T> dx, std::span<T> dgamma, std::span<T> dbeta) {
  constexpr std::string_view k = "batch_norm_backward";
  const BnGeom g = check(k, attr::BatchNorm{}, x);
  detail::expect_shape(k, "output gradient", dy, x.shape);
  detail::expect_shape(k, "input gradient", dx, x.shape);
  expect_channels<std::span<const T>>(k, g, {{"gamma", gamma}, {"save_mean", save_mean}, {"save_invstd", save_invstd}});
  expect_channels<std::span<T>>(k, g, {{"dgamma", dgamma}, {"dbeta", dbeta}});
  const T m = T(g.count());
  for (int64_t ch = 0; ch < g.c; ++ch) {
    T sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t s = 0; s < g.n; ++s)
      for (int64_t i = 0; i < g.inner; ++i) {
        const int64_t j = g.index(s, ch, i);
        sum_dy += dy.data[j];
        sum_dy_xhat += dy.data[j] * (x.data[j] - save_mean[ch]) * save_invstd[ch];
      }
    dbeta[ch] = sum_dy;
    dgamma[ch] = sum_dy_xhat;
    // dx = gamma * invstd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
    const T scale = gamma[ch] * save_invstd[ch] / m;
    for (int64_t s = 0; s < g.n; ++s)
      for (int64_t i = 0; i < g.inner; ++i) {
        const int64_t j = g.index(s, ch, i);
        const T xhat = (x.data[j] - save_mean[ch]) * save_invstd[ch];
        dx.data[j] = scale * (m * dy.data[j] - sum_dy - xhat * sum_dy_xhat);
      }
  }
}

#define CNNZOO_INSTANTIATE(T)                                                                                          \
  template void batch_norm_forward_training<T>(const attr::BatchNorm&, In<T>, std::span<const T>, std::span<const T>,  \
                                               std::span<T>, std::span<T>, Out<T>, std::span<T>, std::span<T>);        \
  template void batch_norm_forward_inference<T>(const attr::BatchNorm&, In<T>, std::span<const T>, std::span<const T>, \
                                                std::span<const T>, std::span<const T>, Out<T>);                       \
  template void batch_norm_backward<T>(In<T>, In<T>, std::span<const T>, std::span<const T>, std::span<const T>,       \
                                       Out<T>, std::span<T>, std::span<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
