// Reference resampling (ONNX's Resize): nearest, linear and cubic, one dimension at a time from the last. Each output
// position along a dimension reads a few input positions with weights (its taps); ONNX's reference resamples the
// inner dimensions first too, so a box outside the input (tf_crop_and_resize) gives the extrapolation value however
// the dimensions combine.
#include <algorithm>
#include <cmath>
#include <optional>

#include "backend/ref/common.h"
#include "backend/ref/strided.h"
#include "ops/rules.h"

namespace cnnzoo::ref {
namespace {

using Resize = attr::Resize;

// The input positions one output position reads and their weights, or `outside` (the extrapolation value).
struct Taps {
  std::vector<int64_t> at;
  std::vector<double> weight;
  bool outside = false;
};

// Where output position `i` of `out` samples an input of `in` positions (ONNX's coordinate_transformation_mode),
// or nullopt outside tf_crop_and_resize's box. `scale` is the dimension's; the length the modes divide by is
// scale x in, as ONNX's reference has it (it differs from `out` when a scale does not divide evenly).
std::optional<double> source_coordinate(const Resize& a, std::size_t d, int64_t i, int64_t in, double scale) {
  using C = Resize::Coordinates;
  const double x = static_cast<double>(i);
  const double length = scale * static_cast<double>(in);
  switch (a.coordinates) {
    case C::HalfPixel:
      return (x + 0.5) / scale - 0.5;
    case C::PytorchHalfPixel:
      return length > 1 ? (x + 0.5) / scale - 0.5 : -0.5;
    case C::AlignCorners:
      return length == 1 ? 0.0 : x * static_cast<double>(in - 1) / (length - 1);
    case C::Asymmetric:
      return x / scale;
    case C::TfHalfPixelForNn:
      return (x + 0.5) / scale;
    case C::TfCropAndResize: {
      const double start = a.roi[d];
      const double end = a.roi[a.roi.size() / 2 + d];
      const double span = static_cast<double>(in - 1);
      const double c = length == 1 ? (end - start) * span / 2 + start * span
                                   : x * (end - start) * span / (length - 1) + start * span;
      if (!(c >= 0 && c <= span)) return std::nullopt;  // NaN too: a box of huge finite values gives inf - inf
      return c;
    }
  }
  return std::nullopt;
}

// Keys' cubic convolution weights of the 4 neighbours at -1, 0, 1 and 2 from the position before the sample, `r` past
// it (ONNX's cubic_coeffs, with A = cubic_coeff_a).
std::vector<double> cubic_weights(double r, double A) {
  const auto near = [A](double t) { return ((A + 2) * t - (A + 3)) * t * t + 1; };       // |t| <= 1
  const auto far = [A](double t) { return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A; };  // 1 < |t| < 2
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

Taps taps_of(const Resize& a, std::size_t d, int64_t i, int64_t in, double scale) {
  const std::optional<double> c = source_coordinate(a, d, i, in, scale);
  if (!c) return {.at = {}, .weight = {}, .outside = true};
  const auto base = static_cast<int64_t>(std::floor(*c));
  const double r = *c - static_cast<double>(base);  // in [0, 1)
  Taps t;
  int64_t first = base;
  switch (a.mode) {
    case Resize::Mode::Nearest: {
      using R = Resize::Rounding;
      const bool up = r != 0 && (a.rounding == R::Ceil || (a.rounding == R::RoundPreferFloor && r > 0.5) ||
                                 (a.rounding == R::RoundPreferCeil && r >= 0.5));
      t.weight = {1.0};
      first = base + (up ? 1 : 0);
      break;
    }
    case Resize::Mode::Linear:
      t.weight = {1 - r, r};
      break;
    case Resize::Mode::Cubic:
      t.weight = cubic_weights(r, a.cubic_coeff_a);
      first = base - 1;
      break;
  }
  double kept = 0;
  for (std::size_t k = 0; k < t.weight.size(); ++k) {
    const int64_t p = first + static_cast<int64_t>(k);
    const bool inside = p >= 0 && p < in;
    if (a.exclude_outside && !inside) t.weight[k] = 0;
    kept += t.weight[k];
    t.at.push_back(std::clamp<int64_t>(p, 0, in - 1));  // beyond the input: its edge value
  }
  if (a.exclude_outside && kept != 0) {
    for (double& w : t.weight) w /= kept;
  }
  return t;
}

// Resamples dimension `d` of `x` (shape `shape`) to `out` positions: y has `shape` with dimension d at `out`. In
// double, as ONNX's reference computes, so that float32 rounds once, at the end.
std::vector<double> resample(const Resize& a, std::size_t d, const std::vector<double>& x, const Dims& shape,
                             int64_t out) {
  const int64_t in = shape[d];
  int64_t outer = 1, inner = 1;
  for (std::size_t k = 0; k < d; ++k) outer *= shape[k];
  for (std::size_t k = d + 1; k < shape.size(); ++k) inner *= shape[k];
  std::vector<Taps> taps;
  for (int64_t i = 0; i < out; ++i) taps.push_back(taps_of(a, d, i, in, a.scales[d]));
  std::vector<double> y(static_cast<std::size_t>(outer * out * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < out; ++i) {
      const Taps& t = taps[static_cast<std::size_t>(i)];
      double* row = y.data() + (o * out + i) * inner;
      if (t.outside) {
        std::fill(row, row + inner, a.extrapolation_value);
        continue;
      }
      for (int64_t e = 0; e < inner; ++e) {
        double sum = 0;
        for (std::size_t k = 0; k < t.at.size(); ++k) {
          // Skipped at weight 0: a neighbour that does not contribute brings no infinity or NaN in (0 x inf), as in
          // PyTorch's interpolation.
          if (t.weight[k] != 0) sum += t.weight[k] * x[static_cast<std::size_t>((o * in + t.at[k]) * inner + e)];
        }
        row[e] = sum;
      }
    }
  return y;
}

}  // namespace

template <typename T>
void resize_forward(const attr::Resize& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "resize_forward";
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::Resize, a, {x.shape}));
  Dims shape = x.shape;
  std::vector<double> data(x.data.begin(), x.data.end());
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (ops::resize_keeps_dimension(a, x.shape, d)) continue;
    data = resample(a, d, data, shape, a.sizes[d]);
    shape[d] = a.sizes[d];
  }
  std::transform(data.begin(), data.end(), y.data.begin(), [](double v) { return static_cast<T>(v); });
}

template void resize_forward<float>(const attr::Resize&, In<float>, Out<float>);
template void resize_forward<double>(const attr::Resize&, In<double>, Out<double>);

}  // namespace cnnzoo::ref
