// Elementwise sum (residual connections), the per-channel product of squeeze-and-excitation and the
// general broadcast product of imported graphs.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using AddRule = Rule<OpKind::Add>;
using ChannelMulRule = Rule<OpKind::ChannelMul>;
using MulRule = Rule<OpKind::Mul>;

Dims AddRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 2, 0, /*at_least=*/true);
  return broadcast_inputs(ctx, name);
}
std::vector<ParamShape> AddRule::params(const OpContext& ctx) { return no_params(ctx); }
// k inputs take k - 1 additions per element.
Cost AddRule::cost(const OpContext& ctx, const Dims& out) {
  return {0, flops_per_element(out, static_cast<int64_t>(ctx.in.size() - 1))};
}

Dims ChannelMulRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 2, 4);
  const Dims& x = ctx.in[0];
  const Dims& s = ctx.in[1];
  if (s != Dims{x[0], x[1], 1, 1}) {
    fail(
        ctx, name,
        fmt::format("expects a scale of shape {}x{}x1x1 for input {}, got {}", x[0], x[1], to_string(x), to_string(s)));
  }
  return x;
}
std::vector<ParamShape> ChannelMulRule::params(const OpContext& ctx) { return no_params(ctx); }
// One multiplication per element.
Cost ChannelMulRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 1)}; }

Dims MulRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 2, 0);
  return broadcast_inputs(ctx, name);
}
std::vector<ParamShape> MulRule::params(const OpContext& ctx) { return no_params(ctx); }
// One multiplication per output element.
Cost MulRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 1)}; }

// A same-shape add may sum into one of its inputs; its backward only passes the gradient on.
const OpTraits AddRule::traits{.trains = true, .in_place_in_training = true};
const OpTraits ChannelMulRule::traits{.trains = true};
const OpTraits MulRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
