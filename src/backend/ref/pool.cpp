// Reference max and average pooling, PyTorch's window, ceil-mode and divisor rules.
#include <algorithm>
#include <limits>

#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// One output window along one axis: its elements inside the input, begin, begin + step, ... before end; how many
// those are (inside); and how many it has inside the padded input (padded: PyTorch's divisor).
struct Window {
  int64_t begin, end, step, inside, padded;
};

// The window's elements are start + j dilation, j < kernel (dilation 1: a run of `kernel`).
Window window(int64_t o, int64_t stride, int64_t kernel, int64_t dilation, int64_t pad, int64_t pad_end,
              int64_t input) {
  const int64_t start = o * stride - pad;        // at least -pad, and pad < kernel: some element is inside
  const auto taps_before = [&](int64_t limit) {  // elements j with start + j dilation < limit
    return std::clamp<int64_t>((limit - start + dilation - 1) / dilation, 0, kernel);
  };
  const int64_t first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  const int64_t last = taps_before(input);
  return {start + first * dilation, start + last * dilation, dilation, std::max<int64_t>(last - first, 0),
          taps_before(input + pad_end)};
}

struct PoolGeom {
  int64_t planes, h, w, oh, ow;
};

template <typename T>
PoolGeom check(std::string_view kernel, OpKind op, const attr::Pool& a, const View<T>& x, const Dims& y) {
  detail::expect_view(kernel, "input", x);
  const Dims want = detail::rule_shape(kernel, op, a, {x.shape});
  if (y != want)
    detail::fail(kernel, fmt::format("output should have shape {}, got {}", to_string(want), to_string(y)));
  return {x.shape[0] * x.shape[1], x.shape[2], x.shape[3], want[2], want[3]};
}

// Calls f(plane, output index, window along h, window along w) for every output element.
template <typename F>
void for_each_window(const attr::Pool& a, const PoolGeom& g, F&& f) {
  const Hw stride = a.effective_stride();
  const Hw end = a.effective_pad_end();
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      const Window wy = window(oy, stride.h, a.kernel.h, a.dilation.h, a.pad.h, end.h, g.h);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window wx = window(ox, stride.w, a.kernel.w, a.dilation.w, a.pad.w, end.w, g.w);
        f(p, (p * g.oh + oy) * g.ow + ox, wy, wx);
      }
    }
}

// Index of the first maximum of a window (padding is -inf, so only input elements compete); NaN wins.
template <typename T>
int64_t argmax(std::span<const T> x, const PoolGeom& g, int64_t p, const Window& wy, const Window& wx) {
  int64_t best = p * g.h * g.w + wy.begin * g.w + wx.begin;
  T best_value = -std::numeric_limits<T>::infinity();
  for (int64_t iy = wy.begin; iy < wy.end; iy += wy.step)
    for (int64_t ix = wx.begin; ix < wx.end; ix += wx.step) {
      const int64_t i = (p * g.h + iy) * g.w + ix;
      if (x[i] > best_value || x[i] != x[i]) {
        best = i;
        best_value = x[i];
        if (x[i] != x[i]) return best;
      }
    }
  return best;
}

template <typename T>
T divisor(const attr::Pool& a, const Window& wy, const Window& wx) {
  return a.count_include_pad ? T(wy.padded * wx.padded) : T(wy.inside * wx.inside);
}

}  // namespace

template <typename T>
void max_pool2d_forward(const attr::Pool& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "max_pool2d_forward";
  const PoolGeom g = check(k, OpKind::MaxPool, a, x, y.shape);
  detail::expect_view(k, "output", y);
  for_each_window(a, g, [&](int64_t p, int64_t o, const Window& wy, const Window& wx) {
    y.data[o] = x.data[argmax(x.data, g, p, wy, wx)];
  });
}

template <typename T>
void max_pool2d_backward(const attr::Pool& a, In<T> x, In<T> dy, Out<T> dx) {
  constexpr std::string_view k = "max_pool2d_backward";
  const PoolGeom g = check(k, OpKind::MaxPool, a, x, dy.shape);
  detail::expect_view(k, "output gradient", dy);
  detail::expect_shape(k, "input gradient", dx, x.shape);
  std::fill(dx.data.begin(), dx.data.end(), T(0));
  for_each_window(a, g, [&](int64_t p, int64_t o, const Window& wy, const Window& wx) {
    dx.data[argmax(x.data, g, p, wy, wx)] += dy.data[o];
  });
}

template <typename T>
void avg_pool2d_forward(const attr::Pool& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "avg_pool2d_forward";
  const PoolGeom g = check(k, OpKind::AvgPool, a, x, y.shape);
  detail::expect_view(k, "output", y);
  for_each_window(a, g, [&](int64_t p, int64_t o, const Window& wy, const Window& wx) {
    T sum = 0;
    for (int64_t iy = wy.begin; iy < wy.end; iy += wy.step)
      for (int64_t ix = wx.begin; ix < wx.end; ix += wx.step) sum += x.data[(p * g.h + iy) * g.w + ix];
    y.data[o] = sum / divisor<T>(a, wy, wx);
  });
}

template <typename T>
void avg_pool2d_backward(const attr::Pool& a, In<T> dy, Out<T> dx) {
  constexpr std::string_view k = "avg_pool2d_backward";
  const PoolGeom g = check(k, OpKind::AvgPool, a, In<T>(dx), dy.shape);
  detail::expect_view(k, "output gradient", dy);
  std::fill(dx.data.begin(), dx.data.end(), T(0));
  for_each_window(a, g, [&](int64_t p, int64_t o, const Window& wy, const Window& wx) {
    const T share = dy.data[o] / divisor<T>(a, wy, wx);
    for (int64_t iy = wy.begin; iy < wy.end; iy += wy.step)
      for (int64_t ix = wx.begin; ix < wx.end; ix += wx.step) dx.data[(p * g.h + iy) * g.w + ix] += share;
  });
}

#define CNNZOO_INSTANTIATE(T)                                                    \
  template void max_pool2d_forward<T>(const attr::Pool&, In<T>, Out<T>);         \
  template void max_pool2d_backward<T>(const attr::Pool&, In<T>, In<T>, Out<T>); \
  template void avg_pool2d_forward<T>(const attr::Pool&, In<T>, Out<T>);         \
  template void avg_pool2d_backward<T>(const attr::Pool&, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
