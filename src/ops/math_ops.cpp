// The elementwise arithmetic of imported graphs: broadcast binary ops (sub, div, pow, min, max) and
// functions of one input (sqrt, exp, erf, tanh, abs, neg, hardsigmoid, hardswish). Each maps one to one
// to the ONNX op of the same name, both ways (the traits' onnx_name).
#include <fmt/format.h>

#include <cmath>

#include "ops/rules.h"

namespace cnnzoo::ops {
namespace {

Dims binary_shape(const OpContext& ctx, std::string_view op) {
  expect_inputs(ctx, op, 2, 0);
  return broadcast_inputs(ctx, op);
}

}  // namespace

// Each op's rules: its shape, no parameters, `FLOPS` per output element (docs/counting.md) and its traits.
// A binary op broadcasts its two inputs, which may mix the samples of a batch (a constant of batch size 1);
// a function of one input keeps its input's shape and its samples apart.
#define CNNZOO_ELEMENTWISE_RULE(KIND, SHAPE, FLOPS, ...)                                                          \
  Dims Rule<OpKind::KIND>::shape(const OpContext& ctx) { return SHAPE(ctx, name); }                               \
  std::vector<ParamShape> Rule<OpKind::KIND>::params(const OpContext& ctx) { return no_params(ctx); }             \
  Cost Rule<OpKind::KIND>::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, FLOPS)}; } \
  const OpTraits Rule<OpKind::KIND>::traits{__VA_ARGS__};

#define CNNZOO_BINARY_RULE(KIND, ONNX)                                                   \
  CNNZOO_ELEMENTWISE_RULE(KIND, binary_shape, 1, .mixes_batch = true, .onnx_name = ONNX, \
                          .onnx_attributes = no_onnx_attributes, .from_onnx = no_attributes_from_onnx)
#define CNNZOO_UNARY_RULE(KIND, FLOPS, ONNX)                                                                 \
  CNNZOO_ELEMENTWISE_RULE(KIND, same_shape, FLOPS, .onnx_name = ONNX, .onnx_attributes = no_onnx_attributes, \
                          .from_onnx = no_attributes_from_onnx)

CNNZOO_BINARY_RULE(Sub, "Sub")
CNNZOO_BINARY_RULE(Div, "Div")
// Counted as one operation, as the other binary ops: the powers exporters write are squares (layer norm's variance).
CNNZOO_BINARY_RULE(Pow, "Pow")
CNNZOO_BINARY_RULE(Min, "Min")
CNNZOO_BINARY_RULE(Max, "Max")
// A function of the standard library is one operation, as sigmoid's exponential is.
CNNZOO_UNARY_RULE(Sqrt, 1, "Sqrt")
CNNZOO_UNARY_RULE(Exp, 1, "Exp")
CNNZOO_UNARY_RULE(Erf, 1, "Erf")
CNNZOO_UNARY_RULE(Tanh, 1, "Tanh")
CNNZOO_UNARY_RULE(Abs, 1, "Abs")
CNNZOO_UNARY_RULE(Neg, 1, "Neg")
// x / 6 + 1 / 2, then two comparisons: 4 (hardsigmoid); times x: 5 (hardswish).
CNNZOO_UNARY_RULE(HardSwish, 5, "HardSwish")

#undef CNNZOO_UNARY_RULE
#undef CNNZOO_BINARY_RULE
#undef CNNZOO_ELEMENTWISE_RULE

using HardSigmoidRule = Rule<OpKind::HardSigmoid>;

Dims HardSigmoidRule::shape(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  if (!std::isfinite(a.alpha) || !std::isfinite(a.beta)) {
    fail(ctx, name, fmt::format("needs a finite alpha and beta, got {} and {}", a.alpha, a.beta));
  }
  return same_shape(ctx, name);
}
std::vector<ParamShape> HardSigmoidRule::params(const OpContext& ctx) { return no_params(ctx); }
// A multiplication, an addition and two comparisons.
Cost HardSigmoidRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 4)}; }

const OpTraits HardSigmoidRule::traits{
    .onnx_name = "HardSigmoid",
    .onnx_attributes =
        [](const Attrs& a) {
          const auto& h = std::get<attr::HardSigmoid>(a);
          return std::vector<OnnxFloatAttribute>{{"alpha", h.alpha}, {"beta", h.beta}};
        },
    .from_onnx = [](const OnnxFloatReader& read) -> Attrs {
      return attr::HardSigmoid{.alpha = read("alpha", 0.2), .beta = read("beta", 0.5)};
    }};

}  // namespace cnnzoo::ops
