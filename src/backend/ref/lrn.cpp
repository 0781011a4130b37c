// Reference local response normalisation across channels, PyTorch's window and zero padding.
#include <cmath>

#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

struct LrnGeom {
  int64_t n, c, hw;
  int64_t index(int64_t s, int64_t ch, int64_t i) const { return (s * c + ch) * hw + i; }
};

template <typename X>
LrnGeom check(std::string_view kernel, const attr::Lrn& a, const View<X>& x) {
  detail::expect_view(kernel, "input", x);
  detail::rule_shape(kernel, OpKind::Lrn, a, {x.shape});
  return {x.shape[0], x.shape[1], x.shape[2] * x.shape[3]};
}

// The window of channel c, clipped to the channels there are.
int64_t lo(const attr::Lrn& a, int64_t c) { return std::max<int64_t>(c - a.channels_before(), 0); }
int64_t hi(const attr::Lrn& a, int64_t c, int64_t channels) { return std::min(c + a.channels_after(), channels - 1); }

// d = k + alpha/size * sum of x^2 over each element's window.
template <typename T>
std::vector<T> denominators(const attr::Lrn& a, const LrnGeom& g, std::span<const T> x) {
  std::vector<T> d(x.size());
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t i = 0; i < g.hw; ++i) {
        T sum = 0;
        for (int64_t j = lo(a, ch); j <= hi(a, ch, g.c); ++j) sum += x[g.index(s, j, i)] * x[g.index(s, j, i)];
        d[g.index(s, ch, i)] = T(a.k) + T(a.alpha / static_cast<double>(a.size)) * sum;
      }
  return d;
}

}  // namespace

template <typename T>
void lrn_forward(const attr::Lrn& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "lrn_forward";
  const LrnGeom g = check(k, a, x);
  detail::expect_shape(k, "output", y, x.shape);
  const std::vector<T> d = denominators<T>(a, g, x.data);
  for (std::size_t j = 0; j < d.size(); ++j) y.data[j] = x.data[j] * std::pow(d[j], T(-a.beta));
}

// y_i = x_i d_i^-beta, so dx_j = dy_j d_j^-beta - 2 alpha beta / size * x_j * sum over windows i holding j
// of dy_i x_i d_i^(-beta-1); j is in the window of i when j - (size-1)/2 <= i <= j + size/2.
template <typename T>
void lrn_backward(const attr::Lrn& a, In<T> x, In<T> dy, Out<T> dx) {
  constexpr std::string_view k = "lrn_backward";
  const LrnGeom g = check(k, a, x);
  detail::expect_shape(k, "output gradient", dy, x.shape);
  detail::expect_shape(k, "input gradient", dx, x.shape);
  const std::vector<T> d = denominators<T>(a, g, x.data);
  std::vector<T> t(d.size());  // dy_i x_i d_i^(-beta-1)
  for (std::size_t i = 0; i < d.size(); ++i) t[i] = dy.data[i] * x.data[i] * std::pow(d[i], T(-a.beta - 1));
  const T factor = T(2 * a.alpha * a.beta / static_cast<double>(a.size));
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t i = 0; i < g.hw; ++i) {
        const int64_t j = g.index(s, ch, i);
        T sum = 0;
        // The channels o whose windows hold ch: [ch - after, ch + before].
        const int64_t first = std::max<int64_t>(ch - a.channels_after(), 0);
        const int64_t last = std::min(ch + a.channels_before(), g.c - 1);
        for (int64_t o = first; o <= last; ++o) sum += t[g.index(s, o, i)];
        dx.data[j] = dy.data[j] * std::pow(d[j], T(-a.beta)) - factor * x.data[j] * sum;
      }
}

#define CNNZOO_INSTANTIATE(T)                                    \
  template void lrn_forward<T>(const attr::Lrn&, In<T>, Out<T>); \
  template void lrn_backward<T>(const attr::Lrn&, In<T>, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
