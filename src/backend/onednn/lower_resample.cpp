// An imported graph's Resize as oneDNN's resampling where the two agree on every output element, and on the
// reference kernel otherwise. oneDNN maps output index o to input coordinate (o + 0.5) / F - 0.5 with F = out / in,
// ONNX's half_pixel; its linear mode interpolates between the two neighbours (edge values beyond the input), as ONNX's
// does, and its nearest mode rounds that coordinate. So:
// - linear with half_pixel (or pytorch_half_pixel, the same where the output is longer than 1), whatever the factor;
// - nearest only by whole factors k (U-Net's and FPN's upsampling by 2), where the coordinate (o + 0.5) / k - 0.5 is
//   never a tie and rounds to floor(o / k): ONNX's asymmetric floor (torch's nearest) and half_pixel with either
//   round_prefer mode give the same element. Other factors could tie, and single-precision ties could round apart.
// Each file's scale must be the ratio of the sizes: ONNX takes the coordinates from the scale, oneDNN from the sizes.
#include <optional>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

namespace {

using Resize = attr::Resize;

std::optional<dnnl::algorithm> resampling_algorithm(const Resize& a, const Dims& x, const Dims& y) {
  // Batch and channels unchanged, then 1 to 3 spatial dimensions.
  if (x.size() < 3 || x.size() > 5 || a.exclude_outside || a.scales[0] != 1 || a.scales[1] != 1 || x[0] != y[0] ||
      x[1] != y[1]) {
    return std::nullopt;
  }
  const bool half_pixel =
      a.coordinates == Resize::Coordinates::HalfPixel || a.coordinates == Resize::Coordinates::PytorchHalfPixel;
  bool whole_factors = true;
  for (std::size_t d = 2; d < x.size(); ++d) {
    if (x[d] == 0 || a.scales[d] != static_cast<double>(y[d]) / static_cast<double>(x[d])) return std::nullopt;
    if (a.coordinates == Resize::Coordinates::PytorchHalfPixel && y[d] <= 1) return std::nullopt;
    whole_factors = whole_factors && y[d] % x[d] == 0;
  }
  if (a.mode == Resize::Mode::Linear && half_pixel) return dnnl::algorithm::resampling_linear;
  const bool floor_of_asymmetric =
      a.coordinates == Resize::Coordinates::Asymmetric && a.rounding == Resize::Rounding::Floor;
  const bool rounded_half_pixel = half_pixel && (a.rounding == Resize::Rounding::RoundPreferCeil ||
                                                 a.rounding == Resize::Rounding::RoundPreferFloor);
  if (a.mode == Resize::Mode::Nearest && whole_factors && (floor_of_asymmetric || rounded_half_pixel)) {
    return dnnl::algorithm::resampling_nearest;
  }
  return std::nullopt;
}

}  // namespace

void lower_resize(Lowering& lowering, const Node& n) {
  const Dims& x = lowering.graph().shape(n.inputs[0]);
  const Dims& y = lowering.graph().shape(n.output);
  const std::optional<dnnl::algorithm> algorithm = resampling_algorithm(std::get<Resize>(n.attrs), x, y);
  if (!algorithm) return lower_plain(lowering, n);
  const ValueState& s = lowering.state(n.inputs[0]);
  std::optional<dnnl::resampling_forward::primitive_desc> pd;
  try {
    const memory::desc dst(to_dims(y), s.md.data_type(), tag::any);
    pd.emplace(dnnl::resampling_forward::desc(dnnl::prop_kind::forward_inference, *algorithm, s.md, dst),
               lowering.engine());
  } catch (const dnnl::error&) {
    return lower_plain(lowering, n);
  }
  const BufferId src = lowering.input_as(n.inputs[0], pd->src_desc(), n.name);
  const BufferId dst = lowering.plan().add_buffer(pd->dst_desc(), n.name);
  lowering.step(n.name, dnnl::resampling_forward(*pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  lowering.set_state(n.output, dst, pd->dst_desc());
}

}  // namespace cnnzoo::onednn
