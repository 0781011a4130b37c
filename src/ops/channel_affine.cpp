// A fixed per-channel affine map, y[n, c] = scale[c] x[n, c] + shift[c]: torchvision's Inception-v3 input
// transform. Its numbers are attributes, not parameters: a state_dict has no entry for them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "ops/rules.h"

namespace cnnzoo::ops {

using AffineRule = Rule<OpKind::ChannelAffine>;

Dims AffineRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const auto& a = std::get<Attr>(ctx.attrs);
  const int64_t channels = ctx.in[0][1];
  if (std::cmp_not_equal(a.scale.size(), channels) || std::cmp_not_equal(a.shift.size(), channels)) {
    fail(ctx, name,
         fmt::format("needs one scale and one shift per input channel ({}), got {} and {}", channels, a.scale.size(),
                     a.shift.size()));
  }
  const auto finite = [](double v) { return std::isfinite(v); };
  if (!std::all_of(a.scale.begin(), a.scale.end(), finite) || !std::all_of(a.shift.begin(), a.shift.end(), finite)) {
    fail(ctx, name, "needs finite scales and shifts");
  }
  return ctx.in[0];
}
std::vector<ParamShape> AffineRule::params(const OpContext& ctx) { return no_params(ctx); }
// A multiplication and an addition per element.
Cost AffineRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 2)}; }

const OpTraits AffineRule::traits{.trains = true};

}  // namespace cnnzoo::ops
