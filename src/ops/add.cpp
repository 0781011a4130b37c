// Elementwise sum (residual connections) and the per-channel product of squeeze-and-excitation.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using AddRule = Rule<OpKind::Add>;
using MulRule = Rule<OpKind::ChannelMul>;

Dims AddRule::shape(const OpContext& c) {
  expect_inputs(c, name, 2, 0, /*at_least=*/true);
  for (std::size_t i = 1; i < c.in.size(); ++i) {
    if (c.in[i] != c.in[0]) {
      fail(c, name,
           fmt::format("expects inputs of one shape, got {} and {} (input {})", to_string(c.in[0]), to_string(c.in[i]),
                       i));
    }
  }
  return c.in[0];
}
std::vector<ParamShape> AddRule::params(const OpContext& c) { return no_params(c); }
// k inputs take k - 1 additions per element.
Cost AddRule::cost(const OpContext& c, const Dims& out) {
  return {0, numel(out) * static_cast<int64_t>(c.in.size() - 1)};
}

Dims MulRule::shape(const OpContext& c) {
  expect_inputs(c, name, 2, 4);
  const Dims& x = c.in[0];
  const Dims& s = c.in[1];
  if (s != Dims{x[0], x[1], 1, 1}) {
    fail(
        c, name,
        fmt::format("expects a scale of shape {}x{}x1x1 for input {}, got {}", x[0], x[1], to_string(x), to_string(s)));
  }
  return x;
}
std::vector<ParamShape> MulRule::params(const OpContext& c) { return no_params(c); }
// One multiplication per element.
Cost MulRule::cost(const OpContext&, const Dims& out) { return {0, numel(out)}; }

}  // namespace cnnzoo::ops
