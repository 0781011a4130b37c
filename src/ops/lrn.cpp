// Local response normalisation across channels (AlexNet, ZFNet, GoogLeNet as published).
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using LrnRule = Rule<OpKind::Lrn>;

Dims LrnRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 4);
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.size < 1) fail(ctx, name, fmt::format("needs size >= 1, got {}", a.size));
  return ctx.in[0];
}
std::vector<ParamShape> LrnRule::params(const OpContext& ctx) { return no_params(ctx); }

// Per element: `size` squares and size - 1 additions for the window sum, then a multiply by
// alpha/size, an add of k, a power and a division: 2*size + 3.
Cost LrnRule::cost(const OpContext& ctx, const Dims& out) {
  const auto& a = std::get<Attr>(ctx.attrs);
  return {0, flops_per_element(out, checked_add(checked_mul(2, a.size, "FLOPs"), 3, "FLOPs"))};
}

const OpTraits LrnRule::traits{.trains = true, .folds_into_previous_row = true};

}  // namespace cnnzoo::ops
