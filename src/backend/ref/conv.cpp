// Reference convolution: direct loops over the output, with stride, asymmetric padding, dilation and groups.
#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// The sizes the three loops share, checked once.
struct ConvGeom {
  int64_t n, c, h, w;         // input
  int64_t o, oh, ow;          // output
  int64_t kh, kw, g, cg, og;  // kernel, groups, channels per group (in, out)
};

template <typename X, typename W>
ConvGeom check(std::string_view kernel, const attr::Conv& a, const View<X>& x, const View<W>& w) {
  detail::expect_view(kernel, "input", x);
  if (x.shape.size() != 4) detail::fail(kernel, fmt::format("expects an NxCxHxW input, got {}", to_string(x.shape)));
  const Dims y = detail::rule_shape(kernel, OpKind::Conv, a, {x.shape});
  const Dims want_w{a.out, x.shape[1] / a.groups, a.kernel.h, a.kernel.w};
  detail::expect_shape(kernel, "weight", w, want_w);
  return {x.shape[0],
          x.shape[1],
          x.shape[2],
          x.shape[3],
          y[1],
          y[2],
          y[3],
          a.kernel.h,
          a.kernel.w,
          a.groups,
          x.shape[1] / a.groups,
          a.out / a.groups};
}

// Which outer loop of for_each_tap runs on several threads: the one whose iterations write disjoint
// elements. The forward pass writes y[n, o] (both loops), the data gradient dx[n] (samples: the outputs of
// a sample all add into it), the weight gradient dw[o] (outputs). Each element's sum still runs in the
// one-thread order, so the results do not depend on the thread count.
enum class Across { SamplesAndOutputs, Samples, Outputs };

// Calls f(xi, wi, yi), the flat indices of an input element, a weight and an output element, for every
// (output, weight tap) pair that reads inside the input, in the order n, o, oy, ox, ci, ky, kx.
template <Across split, typename F>
void for_each_tap(const attr::Conv& a, const ConvGeom& g, F&& f) {
  const auto taps_of = [&](int64_t n, int64_t o) {
    const int64_t group = o / g.og;
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox)
        for (int64_t cl = 0; cl < g.cg; ++cl)
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = oy * a.stride.h - a.pad.h + ky * a.dilation.h;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = ox * a.stride.w - a.pad.w + kx * a.dilation.w;
              if (ix < 0 || ix >= g.w) continue;
              const int64_t xi = ((n * g.c + group * g.cg + cl) * g.h + iy) * g.w + ix;
              const int64_t wi = ((o * g.cg + cl) * g.kh + ky) * g.kw + kx;
              const int64_t yi = ((n * g.o + o) * g.oh + oy) * g.ow + ox;
              f(xi, wi, yi);
            }
          }
  };
  const int64_t units = split == Across::Samples ? g.n : split == Across::Outputs ? g.o : g.n * g.o;
#pragma omp parallel for schedule(dynamic)
  for (int64_t u = 0; u < units; ++u) {
    if constexpr (split == Across::Samples) {
      for (int64_t o = 0; o < g.o; ++o) taps_of(u, o);
    } else if constexpr (split == Across::Outputs) {
      for (int64_t n = 0; n < g.n; ++n) taps_of(n, u);
    } else {
      taps_of(u / g.o, u % g.o);
    }
  }
}

}  // namespace

template <typename T>
void conv2d_forward(const attr::Conv& a, In<T> x, In<T> w, std::span<const T> bias, Out<T> y) {
  constexpr std::string_view k = "conv2d_forward";
  const ConvGeom g = check(k, a, x, w);
  detail::expect_shape(k, "output", y, {g.n, g.o, g.oh, g.ow});
  if (a.bias || !bias.empty()) detail::expect_size(k, "bias", bias, a.bias ? g.o : 0);
  for (int64_t i = 0; i < static_cast<int64_t>(y.data.size()); ++i) {
    y.data[i] = bias.empty() ? T(0) : bias[(i / (g.oh * g.ow)) % g.o];
  }
  for_each_tap<Across::SamplesAndOutputs>(
      a, g, [&](int64_t xi, int64_t wi, int64_t yi) { y.data[yi] += x.data[xi] * w.data[wi]; });
}

template <typename T>
void conv2d_backward_data(const attr::Conv& a, In<T> dy, In<T> w, Out<T> dx) {
  constexpr std::string_view k = "conv2d_backward_data";
  const ConvGeom g = check(k, a, dx, w);
  detail::expect_shape(k, "output gradient", dy, {g.n, g.o, g.oh, g.ow});
  std::fill(dx.data.begin(), dx.data.end(), T(0));
  for_each_tap<Across::Samples>(a, g,
                                [&](int64_t xi, int64_t wi, int64_t yi) { dx.data[xi] += dy.data[yi] * w.data[wi]; });
}

template <typename T>
void conv2d_backward_weights(const attr::Conv& a, In<T> x, In<T> dy, Out<T> dw, std::span<T> dbias) {
  constexpr std::string_view k = "conv2d_backward_weights";
  const ConvGeom g = check(k, a, x, dw);
  detail::expect_shape(k, "output gradient", dy, {g.n, g.o, g.oh, g.ow});
  if (a.bias || !dbias.empty()) detail::expect_size(k, "bias gradient", dbias, a.bias ? g.o : 0);
  std::fill(dw.data.begin(), dw.data.end(), T(0));
  for_each_tap<Across::Outputs>(a, g,
                                [&](int64_t xi, int64_t wi, int64_t yi) { dw.data[wi] += dy.data[yi] * x.data[xi]; });
  if (dbias.empty()) return;
  std::fill(dbias.begin(), dbias.end(), T(0));
  for (int64_t i = 0; i < static_cast<int64_t>(dy.data.size()); ++i) dbias[(i / (g.oh * g.ow)) % g.o] += dy.data[i];
}

#define CNNZOO_INSTANTIATE(T)                                                                   \
  template void conv2d_forward<T>(const attr::Conv&, In<T>, In<T>, std::span<const T>, Out<T>); \
  template void conv2d_backward_data<T>(const attr::Conv&, In<T>, In<T>, Out<T>);               \
  template void conv2d_backward_weights<T>(const attr::Conv&, In<T>, In<T>, Out<T>, std::span<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
