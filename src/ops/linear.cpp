// Fully connected layer on an N x F input: weight (out, in), optional bias (out).
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using LinearRule = Rule<OpKind::Linear>;

Dims LinearRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 2);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.in != 0 && a.in != x[1]) {
    fail(ctx, name, fmt::format("expects {} input features, got {} (input {})", a.in, x[1], to_string(x)));
  }
  if (a.out < 1) fail(ctx, name, fmt::format("needs out >= 1, got {}", a.out));
  return {x[0], a.out};
}

std::vector<ParamShape> LinearRule::params(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  std::vector<ParamShape> p{{"weight", {a.out, ctx.in[0][1]}}};
  if (a.bias) p.push_back({"bias", {a.out}});
  return p;
}

// in multiply-adds per output; a bias adds one addition.
Cost LinearRule::cost(const OpContext& ctx, const Dims& out) {
  const auto& a = std::get<Attr>(ctx.attrs);
  const int64_t outputs = numel(out);
  return mac_cost(product({outputs, ctx.in[0][1]}, "MACs"), outputs, a.bias);
}

const OpTraits LinearRule::traits{.trains = true};

}  // namespace cnnzoo::ops
