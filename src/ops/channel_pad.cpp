// Zero channels added before and after: with a stride-2 subsampling in front of it, this is the
// parameter-free "option A" shortcut of He et al.'s CIFAR ResNets.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using PadRule = Rule<OpKind::ChannelPad>;

Dims PadRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.before < 0 || a.after < 0) fail(ctx, name, fmt::format("needs padding >= 0, got {} and {}", a.before, a.after));
  Dims out = ctx.in[0];
  out[1] += a.before + a.after;
  return out;
}
std::vector<ParamShape> PadRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost PadRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

const OpTraits PadRule::traits{.trains = true};

}  // namespace cnnzoo::ops
