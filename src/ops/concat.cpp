// Concatenation along an axis (channels for Inception and DenseNet). Copies, computes nothing.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ConcatRule = Rule<OpKind::Concat>;

Dims ConcatRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0, /*at_least=*/true);
  const auto& a = std::get<Attr>(ctx.attrs);
  Dims out = ctx.in[0];
  const auto axis = static_cast<std::size_t>(a.axis);
  if (a.axis < 0 || axis >= out.size()) {
    fail(ctx, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, out.size()));
  }
  for (std::size_t i = 1; i < ctx.in.size(); ++i) {
    const Dims& d = ctx.in[i];
    bool fits = d.size() == out.size();
    for (std::size_t k = 0; fits && k < d.size(); ++k) fits = k == axis || d[k] == out[k];
    if (!fits) {
      fail(ctx, name,
           fmt::format("input {} has shape {}, which does not match input 0's {} outside axis {}", i, to_string(d),
                       to_string(ctx.in[0]), a.axis));
    }
    out[axis] = checked_add(out[axis], d[axis], "the concatenated dimension");
  }
  return out;
}
std::vector<ParamShape> ConcatRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost ConcatRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

const OpTraits ConcatRule::traits{.trains = true};

}  // namespace cnnzoo::ops
