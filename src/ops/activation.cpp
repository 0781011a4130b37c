// Shape-preserving elementwise ops of one input: ReLU, sigmoid, clip, dropout, softmax.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ReluRule = Rule<OpKind::Relu>;
using SigmoidRule = Rule<OpKind::Sigmoid>;
using DropoutRule = Rule<OpKind::Dropout>;
using SoftmaxRule = Rule<OpKind::Softmax>;
using ClipRule = Rule<OpKind::Clip>;

Dims ReluRule::shape(const OpContext& c) { return same_shape(c, name); }
std::vector<ParamShape> ReluRule::params(const OpContext& c) { return no_params(c); }
// One comparison per element.
Cost ReluRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 1)}; }

Dims SigmoidRule::shape(const OpContext& c) { return same_shape(c, name); }
std::vector<ParamShape> SigmoidRule::params(const OpContext& c) { return no_params(c); }
// Negate, exponential, add one, divide: 4 per element.
Cost SigmoidRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 4)}; }

Dims ClipRule::shape(const OpContext& c) {
  const auto& a = std::get<Attr>(c.attrs);
  if (!(a.min <= a.max)) fail(c, name, fmt::format("needs min <= max, got {} and {}", a.min, a.max));
  return same_shape(c, name);
}
std::vector<ParamShape> ClipRule::params(const OpContext& c) { return no_params(c); }
// Two comparisons per element.
Cost ClipRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 2)}; }

Dims DropoutRule::shape(const OpContext& c) {
  const auto& a = std::get<Attr>(c.attrs);
  if (a.p < 0.0 || a.p >= 1.0) fail(c, name, fmt::format("needs 0 <= p < 1, got {}", a.p));
  return same_shape(c, name);
}
std::vector<ParamShape> DropoutRule::params(const OpContext& c) { return no_params(c); }
// Dropout is the identity at inference: nothing counted.
Cost DropoutRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims SoftmaxRule::shape(const OpContext& c) {
  const Dims out = same_shape(c, name);
  const auto& a = std::get<Attr>(c.attrs);
  if (a.axis < 0 || a.axis >= static_cast<int64_t>(out.size())) {
    fail(c, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, out.size()));
  }
  return out;
}
std::vector<ParamShape> SoftmaxRule::params(const OpContext& c) { return no_params(c); }
// Per element: a comparison for the maximum, a subtraction, an exponential, an addition to the sum
// and a division: 5.
Cost SoftmaxRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 5)}; }

}  // namespace cnnzoo::ops
