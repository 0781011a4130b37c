// Zero channels added before and after: with a stride-2 subsampling in front of it, this is the
// parameter-free "option A" shortcut of He et al.'s CIFAR ResNets.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using PadRule = Rule<OpKind::ChannelPad>;

Dims PadRule::shape(const OpContext& c) {
  expect_inputs(c, name, 1, 4);
  const auto& a = std::get<Attr>(c.attrs);
  if (a.before < 0 || a.after < 0) fail(c, name, fmt::format("needs padding >= 0, got {} and {}", a.before, a.after));
  Dims out = c.in[0];
  out[1] += a.before + a.after;
  return out;
}
std::vector<ParamShape> PadRule::params(const OpContext& c) { return no_params(c); }
Cost PadRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

}  // namespace cnnzoo::ops
