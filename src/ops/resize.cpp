// ONNX's Resize: every dimension resampled to the sizes the attributes give, by the nearest element or linear or
// cubic interpolation.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "cnnzoo/checked.h"
#include "ops/rules.h"

namespace cnnzoo::ops {

using ResizeRule = Rule<OpKind::Resize>;

bool resize_keeps_dimension(const attr::Resize& a, const Dims& in, std::size_t d) {
  using C = attr::Resize::Coordinates;
  // tf_half_pixel_for_nn samples half an element on (x + 0.5), and tf_crop_and_resize inside its box: neither is
  // the identity at scale 1.
  const bool maps_onto_itself = a.coordinates == C::HalfPixel || a.coordinates == C::PytorchHalfPixel ||
                                a.coordinates == C::AlignCorners || a.coordinates == C::Asymmetric;
  return maps_onto_itself && a.sizes[d] == in[d] && a.scales[d] == 1.0;
}

Dims ResizeRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.sizes.size() != x.size() || a.scales.size() != x.size()) {
    fail(ctx, name,
         fmt::format("needs a size and a scale for each of the input's {} dimensions, has {} and {}", x.size(),
                     a.sizes.size(), a.scales.size()));
  }
  for (std::size_t d = 0; d < x.size(); ++d) {
    if (a.sizes[d] < 1 || a.sizes[d] > kMaxDim) {
      fail(ctx, name, fmt::format("output size {} of dimension {} is outside 1..{}", a.sizes[d], d, kMaxDim));
    }
    if (!std::isfinite(a.scales[d]) || a.scales[d] <= 0) {
      fail(ctx, name, fmt::format("scale {} of dimension {} is not a positive number", a.scales[d], d));
    }
  }
  if (a.coordinates == Attr::Coordinates::TfCropAndResize) {
    if (a.roi.size() != 2 * x.size()) {
      fail(ctx, name,
           fmt::format("tf_crop_and_resize needs a box (roi) of 2 x {} values, has {}", x.size(), a.roi.size()));
    }
    for (double r : a.roi) {
      if (!std::isfinite(r)) fail(ctx, name, fmt::format("box (roi) value {} is not finite", r));
    }
    if (!std::isfinite(a.extrapolation_value)) {
      fail(ctx, name, fmt::format("extrapolation_value {} is not finite", a.extrapolation_value));
    }
  }
  if (!std::isfinite(a.cubic_coeff_a)) fail(ctx, name, fmt::format("cubic_coeff_a {} is not finite", a.cubic_coeff_a));
  int64_t elements = 1;
  for (int64_t size : a.sizes) {
    if (elements > std::numeric_limits<int64_t>::max() / size) {
      fail(ctx, name, fmt::format("output {} has more elements than 64 bits count", to_string(a.sizes)));
    }
    elements *= size;
  }
  return a.sizes;
}

std::vector<ParamShape> ResizeRule::params(const OpContext& ctx) { return no_params(ctx); }

// As the reference kernel computes it, one dimension at a time from the last: each dimension resampled costs, for
// every element of the tensor then (that dimension at its new size, the ones before it at their old), one
// multiply-add per neighbour: 2 (linear) or 4 (cubic). Nearest copies.
Cost ResizeRule::cost(const OpContext& ctx, const Dims& out) {
  const auto& a = std::get<Attr>(ctx.attrs);
  const int64_t taps = a.mode == Attr::Mode::Linear ? 2 : a.mode == Attr::Mode::Cubic ? 4 : 0;
  Dims current = ctx.in[0];
  int64_t macs = 0;
  for (std::size_t d = current.size(); d-- > 0;) {
    if (resize_keeps_dimension(a, ctx.in[0], d)) continue;
    current[d] = out[d];
    macs = checked_add(macs, flops_per_element(current, taps), "the resize's MACs");
  }
  return mac_cost(macs, 0, false);
}

const OpTraits ResizeRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
