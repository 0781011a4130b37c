// Reference fully connected layer: y = x W^T + b.
#include <array>

#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// Checks x (N, F), w (O, F), y (N, O); returns {N, F, O}.
template <typename X, typename W, typename Y>
std::array<int64_t, 3> check(std::string_view kernel, const View<X>& x, const View<W>& w, const View<Y>& y) {
  detail::expect_view(kernel, "input", x);
  detail::expect_view(kernel, "weight", w);
  if (x.shape.size() != 2) detail::fail(kernel, fmt::format("expects an NxF input, got {}", to_string(x.shape)));
  if (w.shape.size() != 2 || w.shape[1] != x.shape[1]) {
    detail::fail(kernel, fmt::format("weight should have shape Ox{}, got {}", x.shape[1], to_string(w.shape)));
  }
  detail::expect_shape(kernel, "output", y, {x.shape[0], w.shape[0]});
  return {x.shape[0], x.shape[1], w.shape[0]};
}

}  // namespace

template <typename T>
void linear_forward(const attr::Linear& a, In<T> x, In<T> w, std::span<const T> bias, Out<T> y) {
  constexpr std::string_view k = "linear_forward";
  detail::expect_view(k, "input", x);
  const Dims want = detail::rule_shape(k, OpKind::Linear, a, {x.shape});
  detail::expect_shape(k, "weight", w, {a.out, x.shape[1]});
  const auto [n, f, o] = check(k, x, w, y);
  if (want != y.shape) detail::fail(k, fmt::format("output should be {}", to_string(want)));
  if (a.bias || !bias.empty()) detail::expect_size(k, "bias", bias, a.bias ? o : 0);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < o; ++j) {
      T sum = bias.empty() ? T(0) : bias[j];
      for (int64_t i = 0; i < f; ++i) sum += x.data[s * f + i] * w.data[j * f + i];
      y.data[s * o + j] = sum;
    }
}

template <typename T>
void linear_backward_data(In<T> dy, In<T> w, Out<T> dx) {
  const auto [n, f, o] = check("linear_backward_data", dx, w, dy);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t i = 0; i < f; ++i) {
      T sum = 0;
      for (int64_t j = 0; j < o; ++j) sum += dy.data[s * o + j] * w.data[j * f + i];
      dx.data[s * f + i] = sum;
    }
}

template <typename T>
void linear_backward_weights(In<T> x, In<T> dy, Out<T> dw, std::span<T> dbias) {
  constexpr std::string_view k = "linear_backward_weights";
  const auto [n, f, o] = check(k, x, dw, dy);
  if (!dbias.empty()) detail::expect_size(k, "bias gradient", dbias, o);
  for (int64_t j = 0; j < o; ++j) {
    for (int64_t i = 0; i < f; ++i) {
      T sum = 0;
      for (int64_t s = 0; s < n; ++s) sum += dy.data[s * o + j] * x.data[s * f + i];
      dw.data[j * f + i] = sum;
    }
    if (dbias.empty()) continue;
    T sum = 0;
    for (int64_t s = 0; s < n; ++s) sum += dy.data[s * o + j];
    dbias[j] = sum;
  }
}

#define CNNZOO_INSTANTIATE(T)                                                                     \
  template void linear_forward<T>(const attr::Linear&, In<T>, In<T>, std::span<const T>, Out<T>); \
  template void linear_backward_data<T>(In<T>, In<T>, Out<T>);                                    \
  template void linear_backward_weights<T>(In<T>, In<T>, Out<T>, std::span<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
