// Shape-preserving elementwise ops of one input: ReLU, sigmoid, ELU, scale, clip, dropout, softmax.
#include <fmt/format.h>

#include <cmath>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ReluRule = Rule<OpKind::Relu>;
using SigmoidRule = Rule<OpKind::Sigmoid>;
using EluRule = Rule<OpKind::Elu>;
using ScaleRule = Rule<OpKind::Scale>;
using DropoutRule = Rule<OpKind::Dropout>;
using SoftmaxRule = Rule<OpKind::Softmax>;
using ClipRule = Rule<OpKind::Clip>;

Dims ReluRule::shape(const OpContext& ctx) { return same_shape(ctx, name); }
std::vector<ParamShape> ReluRule::params(const OpContext& ctx) { return no_params(ctx); }
// One comparison per element.
Cost ReluRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 1)}; }

Dims SigmoidRule::shape(const OpContext& ctx) { return same_shape(ctx, name); }
std::vector<ParamShape> SigmoidRule::params(const OpContext& ctx) { return no_params(ctx); }
// Negate, exponential, add one, divide: 4 per element.
Cost SigmoidRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 4)}; }

Dims EluRule::shape(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  // oneDNN's backward from the output needs alpha >= 0, as the function is then monotonic; PyTorch's nn.ELU
  // and every network we know use alpha = 1.
  if (!(a.alpha >= 0.0 && a.alpha <= 1e6)) fail(ctx, name, fmt::format("needs 0 <= alpha <= 1e6, got {}", a.alpha));
  return same_shape(ctx, name);
}
std::vector<ParamShape> EluRule::params(const OpContext& ctx) { return no_params(ctx); }
// Counted as sigmoid's: a comparison, an exponential, a subtraction and a multiplication per element.
Cost EluRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 4)}; }

Dims ScaleRule::shape(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  if (!std::isfinite(a.factor)) fail(ctx, name, fmt::format("needs a finite factor, got {}", a.factor));
  return same_shape(ctx, name);
}
std::vector<ParamShape> ScaleRule::params(const OpContext& ctx) { return no_params(ctx); }
// One multiplication per element.
Cost ScaleRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 1)}; }

Dims ClipRule::shape(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  if (!(a.min <= a.max)) fail(ctx, name, fmt::format("needs min <= max, got {} and {}", a.min, a.max));
  return same_shape(ctx, name);
}
std::vector<ParamShape> ClipRule::params(const OpContext& ctx) { return no_params(ctx); }
// Two comparisons per element.
Cost ClipRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 2)}; }

Dims DropoutRule::shape(const OpContext& ctx) {
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.p < 0.0 || a.p >= 1.0) fail(ctx, name, fmt::format("needs 0 <= p < 1, got {}", a.p));
  return same_shape(ctx, name);
}
std::vector<ParamShape> DropoutRule::params(const OpContext& ctx) { return no_params(ctx); }
// Dropout is the identity at inference: nothing counted.
Cost DropoutRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims SoftmaxRule::shape(const OpContext& ctx) {
  const Dims out = same_shape(ctx, name);
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.axis < 0 || a.axis >= static_cast<int64_t>(out.size())) {
    fail(ctx, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, out.size()));
  }
  return out;
}
std::vector<ParamShape> SoftmaxRule::params(const OpContext& ctx) { return no_params(ctx); }
// Per element: a comparison for the maximum, a subtraction, an exponential, an addition to the sum
// and a division: 5.
Cost SoftmaxRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 5)}; }

// ReLU and sigmoid go back from their output (oneDNN's use_dst algorithms): y > 0 exactly where x > 0, and
// sigmoid' = y (1 - y). So a ReLU may overwrite its input, and nothing may overwrite their outputs.
const OpTraits ReluRule::traits{.trains = true,
                                .backward_reads_output = true,
                                .in_place_in_training = true,
                                .folds_into_previous_row = true,
                                .onnx_name = "Relu",
                                .onnx_attributes = no_onnx_attributes,
                                .from_onnx = no_attributes_from_onnx};
const OpTraits SigmoidRule::traits{.trains = true,
                                   .backward_reads_output = true,
                                   .folds_into_previous_row = true,
                                   .onnx_name = "Sigmoid",
                                   .onnx_attributes = no_onnx_attributes,
                                   .from_onnx = no_attributes_from_onnx};
// ELU goes back from its output too (alpha >= 0): dx = dy where y > 0, else dy (y + alpha).
const OpTraits EluRule::traits{
    .trains = true,
    .backward_reads_output = true,
    .folds_into_previous_row = true,
    .onnx_name = "Elu",
    .onnx_attributes =
        [](const Attrs& a) {
          return std::vector<OnnxFloatAttribute>{{"alpha", std::get<attr::Elu>(a).alpha}};
        },
    .from_onnx = [](const OnnxFloatReader& read) -> Attrs { return attr::Elu{.alpha = read("alpha", 1.0)}; }};
// Scale's backward, dx = factor dy, reads no values; the engines hand it the output as ELU's. ONNX has no
// scale op: the exporter writes a Mul by a scalar, and the importer reads such a Mul back as a scale.
const OpTraits ScaleRule::traits{.trains = true, .backward_reads_output = true, .folds_into_previous_row = true};
// Softmax's backward reads its output: dx = y (dy - sum(dy y)).
const OpTraits SoftmaxRule::traits{.trains = true, .backward_reads_output = true};
// At inference dropout is the identity, and its output a view of its input.
const OpTraits DropoutRule::traits{.view_at_inference = true, .trains = true, .folds_into_previous_row = true};
const OpTraits ClipRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
