// Adaptive average pooling (PyTorch's windows) and global average pooling.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {
namespace {

// PyTorch's adaptive window of output index i: [floor(i*in/out), ceil((i+1)*in/out)).
int64_t window_sum(int64_t in, int64_t out) {
  int64_t total = 0;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = i * in / out;
    const int64_t end = ((i + 1) * in + out - 1) / out;
    total += end - start;
  }
  return total;
}

}  // namespace

using AdaptiveRule = Rule<OpKind::AdaptiveAvgPool>;
using GlobalRule = Rule<OpKind::GlobalAvgPool>;

Dims AdaptiveRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.output.h < 1 || a.output.w < 1)
    fail(ctx, name, fmt::format("needs an output size >= 1, got {}", to_string(a.output)));
  const Dims& x = ctx.in[0];
  if (x[2] < 1 || x[3] < 1) fail(ctx, name, fmt::format("got an empty input {}", to_string(x)));
  return {x[0], x[1], a.output.h, a.output.w};
}
std::vector<ParamShape> AdaptiveRule::params(const OpContext& ctx) { return no_params(ctx); }
// Each output averages its own window: (window - 1) additions and one division.
Cost AdaptiveRule::cost(const OpContext& ctx, const Dims& out) {
  const Dims& x = ctx.in[0];
  return {0, product({x[0], x[1], window_sum(x[2], out[2]), window_sum(x[3], out[3])}, "FLOPs")};
}

Dims GlobalRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const Dims& x = ctx.in[0];
  return {x[0], x[1], 1, 1};
}
std::vector<ParamShape> GlobalRule::params(const OpContext& ctx) { return no_params(ctx); }
// H*W - 1 additions and one division per channel.
Cost GlobalRule::cost(const OpContext& ctx, const Dims&) { return {0, numel(ctx.in[0])}; }

const OpTraits AdaptiveRule::traits{.trains = true};
const OpTraits GlobalRule::traits{.trains = true};

}  // namespace cnnzoo::ops
