// Reference elementwise sum and per-channel scaling (the squeeze-and-excitation gate).
#include "backend/ref/common.h"

namespace cnnzoo::ref {

template <typename T>
void add_forward(std::span<const std::span<const T>> xs, std::span<T> y) {
  constexpr std::string_view k = "add_forward";
  if (xs.empty()) detail::fail(k, "needs at least one input");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    detail::expect_size(k, fmt::format("input {}", i), xs[i], static_cast<int64_t>(y.size()));
  }
  std::copy(xs[0].begin(), xs[0].end(), y.begin());
  for (std::size_t i = 1; i < xs.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j) y[j] += xs[i][j];
}

template <typename T>
void add_backward(std::span<const T> dy, std::span<const std::span<T>> dxs) {
  for (std::size_t i = 0; i < dxs.size(); ++i) {
    detail::expect_size("add_backward", fmt::format("input gradient {}", i), dxs[i], static_cast<int64_t>(dy.size()));
    std::copy(dy.begin(), dy.end(), dxs[i].begin());
  }
}

namespace {

// Checks x (N, C, H, W) against s (N, C, 1, 1); returns H * W.
template <typename X, typename S>
int64_t check_channel_mul(std::string_view kernel, const View<X>& x, const View<S>& s) {
  detail::expect_view(kernel, "input", x);
  detail::expect_view(kernel, "scale", s);
  detail::rule_shape(kernel, OpKind::ChannelMul, attr::None{}, {x.shape, s.shape});
  return x.shape[2] * x.shape[3];
}

}  // namespace

template <typename T>
void channel_mul_forward(In<T> x, In<T> s, Out<T> y) {
  constexpr std::string_view k = "channel_mul_forward";
  const int64_t hw = check_channel_mul(k, x, s);
  detail::expect_shape(k, "output", y, x.shape);
  for (std::size_t i = 0; i < y.data.size(); ++i) y.data[i] = x.data[i] * s.data[i / hw];
}

template <typename T>
void channel_mul_backward(In<T> x, In<T> s, In<T> dy, Out<T> dx, Out<T> ds) {
  constexpr std::string_view k = "channel_mul_backward";
  const int64_t hw = check_channel_mul(k, x, s);
  detail::expect_shape(k, "output gradient", dy, x.shape);
  detail::expect_shape(k, "input gradient", dx, x.shape);
  detail::expect_shape(k, "scale gradient", ds, s.shape);
  std::fill(ds.data.begin(), ds.data.end(), T(0));
  for (std::size_t i = 0; i < dy.data.size(); ++i) {
    dx.data[i] = dy.data[i] * s.data[i / hw];
    ds.data[i / hw] += dy.data[i] * x.data[i];
  }
}

#define CNNZOO_INSTANTIATE(T)                                                       \
  template void add_forward<T>(std::span<const std::span<const T>>, std::span<T>);  \
  template void add_backward<T>(std::span<const T>, std::span<const std::span<T>>); \
  template void channel_mul_forward<T>(In<T>, In<T>, Out<T>);                       \
  template void channel_mul_backward<T>(In<T>, In<T>, In<T>, Out<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
