// Flatten: the dimensions from `axis` on become one. Moves no data, costs nothing.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using FlattenRule = Rule<OpKind::Flatten>;

Dims FlattenRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.axis < 0 || a.axis > static_cast<int64_t>(x.size())) {
    fail(ctx, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, x.size()));
  }
  Dims out(x.begin(), x.begin() + a.axis);
  out.push_back(numel(Dims(x.begin() + a.axis, x.end())));
  return out;
}
std::vector<ParamShape> FlattenRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost FlattenRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

const OpTraits FlattenRule::traits{.view_at_inference = true, .view_in_training = true, .trains = true};

}  // namespace cnnzoo::ops
