// Convolution: weight (out, in/groups, kh, kw) and an optional bias (out).
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ConvRule = Rule<OpKind::Conv>;

Dims ConvRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  const int64_t channels = x[1];
  if (a.in != 0 && a.in != channels) {
    fail(ctx, name, fmt::format("expects {} input channels, got {} (input {})", a.in, channels, to_string(x)));
  }
  if (a.out < 1 || a.groups < 1)
    fail(ctx, name, fmt::format("needs out >= 1 and groups >= 1, got {} and {}", a.out, a.groups));
  if (channels % a.groups != 0 || a.out % a.groups != 0) {
    fail(ctx, name,
         fmt::format("has {} groups, which must divide both {} input and {} output channels", a.groups, channels,
                     a.out));
  }
  const Hw end = a.effective_pad_end();
  const int64_t h =
      window_output(ctx, name, "height", x[2], a.kernel.h, a.stride.h, a.pad.h, end.h, a.dilation.h, false);
  const int64_t w =
      window_output(ctx, name, "width", x[3], a.kernel.w, a.stride.w, a.pad.w, end.w, a.dilation.w, false);
  return {x[0], a.out, h, w};
}

std::vector<ParamShape> ConvRule::params(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  std::vector<ParamShape> p{{"weight", {a.out, ctx.in[0][1] / a.groups, a.kernel.h, a.kernel.w}}};
  if (a.bias) p.push_back({"bias", {a.out}});
  return p;
}

// Each output element takes (in/groups) * kh * kw multiply-adds; a bias adds one addition.
Cost ConvRule::cost(const OpContext& ctx, const Dims& out) {
  const auto& a = std::get<Attr>(ctx.attrs);
  const int64_t outputs = numel(out);
  return mac_cost(product({outputs, ctx.in[0][1] / a.groups, a.kernel.h, a.kernel.w}, "MACs"), outputs, a.bias);
}

const OpTraits ConvRule::traits{.trains = true};

}  // namespace cnnzoo::ops
