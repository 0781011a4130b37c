// Layer normalisation as ONNX's LayerNormalization: each sample normalised over its trailing dimensions,
// then scaled and shifted by the scale and bias inputs.
#include <fmt/format.h>

#include <cmath>

#include "ops/rules.h"

namespace cnnzoo::ops {

using LayerNormRule = Rule<OpKind::LayerNorm>;

Dims LayerNormRule::shape(const OpContext& ctx) {
  if (ctx.in.size() != 2 && ctx.in.size() != 3) {
    fail(ctx, name, fmt::format("expects 2 or 3 inputs (x, scale, bias), got {}", ctx.in.size()));
  }
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.axis < 0 || a.axis >= static_cast<int64_t>(x.size())) {
    fail(ctx, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, x.size()));
  }
  if (!(a.epsilon > 0.0) || !std::isfinite(a.epsilon)) {
    fail(ctx, name, fmt::format("needs a finite epsilon > 0, got {}", a.epsilon));
  }
  const Dims normalized(x.begin() + a.axis, x.end());
  for (std::size_t i = 1; i < ctx.in.size(); ++i) {
    if (ctx.in[i] != normalized) {
      fail(ctx, name,
           fmt::format("expects its {} shaped {}, the input's dimensions from axis {}; got {}",
                       i == 1 ? "scale" : "bias", to_string(normalized), a.axis, to_string(ctx.in[i])));
    }
  }
  if (numel(normalized) == 0) fail(ctx, name, fmt::format("cannot normalise over no elements ({})", to_string(x)));
  return x;
}
std::vector<ParamShape> LayerNormRule::params(const OpContext& ctx) { return no_params(ctx); }
// Per element: an addition for the mean, a subtraction, a square and an addition for the variance, the
// multiplication by 1 / sqrt(variance + epsilon), the scale and the bias (when there is one): 7 (the square root and
// division of each sample are not counted).
Cost LayerNormRule::cost(const OpContext& ctx, const Dims& out) {
  return {0, flops_per_element(out, ctx.in.size() == 3 ? 7 : 6)};
}

// The statistics are over trailing dimensions, which may include the batch's (axis 0).
const OpTraits LayerNormRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
