// Reference adaptive and global average pooling.
#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// PyTorch's adaptive window of output i: [floor(i*in/out), ceil((i+1)*in/out)).
int64_t start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
int64_t stop(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// Calls f(input index, output index, 1 / window size) for every input element of every window.
template <typename F>
void for_each_tap(const Dims& x, const Dims& y, F&& f) {
  const int64_t h = x[2], w = x[3], oh = y[2], ow = y[3];
  for (int64_t p = 0; p < x[0] * x[1]; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t y0 = start(oy, h, oh), y1 = stop(oy, h, oh), x0 = start(ox, w, ow), x1 = stop(ox, w, ow);
        const double scale = 1.0 / static_cast<double>((y1 - y0) * (x1 - x0));
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix) f((p * h + iy) * w + ix, (p * oh + oy) * ow + ox, scale);
      }
}

template <typename X, typename Y>
void check(std::string_view kernel, OpKind op, const Attrs& a, const View<X>& x, const View<Y>& y) {
  detail::expect_view(kernel, "input", x);
  detail::expect_shape(kernel, "output", y, detail::rule_shape(kernel, op, a, {x.shape}));
}

}  // namespace

template <typename T>
void adaptive_avg_pool2d_forward(const attr::AdaptiveAvgPool& a, In<T> x, Out<T> y) {
  check("adaptive_avg_pool2d_forward", OpKind::AdaptiveAvgPool, a, x, y);
  std::fill(y.data.begin(), y.data.end(), T(0));
  for_each_tap(x.shape, y.shape, [&](int64_t xi, int64_t yi, double s) { y.data[yi] += x.data[xi] * T(s); });
}

template <typename T>
void adaptive_avg_pool2d_backward(const attr::AdaptiveAvgPool& a, In<T> dy, Out<T> dx) {
  check("adaptive_avg_pool2d_backward", OpKind::AdaptiveAvgPool, a, dx, dy);
  std::fill(dx.data.begin(), dx.data.end(), T(0));
  for_each_tap(dx.shape, dy.shape, [&](int64_t xi, int64_t yi, double s) { dx.data[xi] += dy.data[yi] * T(s); });
}

template <typename T>
void global_avg_pool_forward(In<T> x, Out<T> y) {
  check("global_avg_pool_forward", OpKind::GlobalAvgPool, attr::None{}, x, y);
  std::fill(y.data.begin(), y.data.end(), T(0));
  for_each_tap(x.shape, y.shape, [&](int64_t xi, int64_t yi, double s) { y.data[yi] += x.data[xi] * T(s); });
}

template <typename T>
void global_avg_pool_backward(In<T> dy, Out<T> dx) {
  check("global_avg_pool_backward", OpKind::GlobalAvgPool, attr::None{}, dx, dy);
  for_each_tap(dx.shape, dy.shape, [&](int64_t xi, int64_t yi, double s) { dx.data[xi] = dy.data[yi] * T(s); });
}

#define CNNZOO_INSTANTIATE(T)                                                                 \
  template void adaptive_avg_pool2d_forward<T>(const attr::AdaptiveAvgPool&, In<T>, Out<T>);  \
  template void adaptive_avg_pool2d_backward<T>(const attr::AdaptiveAvgPool&, In<T>, Out<T>); \
  template void global_avg_pool_forward<T>(In<T>, Out<T>);                                    \
  template void global_avg_pool_backward<T>(In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
