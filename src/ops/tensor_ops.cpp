// Ops that move data without arithmetic: reshape, transpose, gather, slice; and the constant that feeds them.
#include <fmt/format.h>

#include <algorithm>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ReshapeRule = Rule<OpKind::Reshape>;
using TransposeRule = Rule<OpKind::Transpose>;
using GatherRule = Rule<OpKind::Gather>;
using SliceRule = Rule<OpKind::Slice>;
using ConstantRule = Rule<OpKind::Constant>;

Dims ReshapeRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const Dims& out = std::get<Attr>(ctx.attrs).shape;
  const bool valid = std::all_of(out.begin(), out.end(), [](int64_t d) { return d >= 0; });
  if (!valid || numel(out) != numel(ctx.in[0])) {
    fail(ctx, name,
         fmt::format("cannot make {} ({} elements) into {}", to_string(ctx.in[0]), numel(ctx.in[0]), to_string(out)));
  }
  return out;
}
std::vector<ParamShape> ReshapeRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost ReshapeRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims TransposeRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const Dims& x = ctx.in[0];
  const auto& perm = std::get<Attr>(ctx.attrs).perm;
  Dims sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted.size() != x.size() || sorted[i] != static_cast<int64_t>(i)) {
      fail(ctx, name,
           fmt::format("permutation ({}) is not one of the input's {} dimensions", fmt::join(perm, ","), x.size()));
    }
  }
  Dims out;
  for (int64_t p : perm) out.push_back(x[static_cast<std::size_t>(p)]);
  return out;
}
std::vector<ParamShape> TransposeRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost TransposeRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims GatherRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.axis < 0 || a.axis >= static_cast<int64_t>(x.size())) {
    fail(ctx, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, x.size()));
  }
  if (numel(a.indices_shape) != static_cast<int64_t>(a.indices.size())) {
    fail(ctx, name,
         fmt::format("has {} indices for an index shape of {}", a.indices.size(), to_string(a.indices_shape)));
  }
  const int64_t size = x[static_cast<std::size_t>(a.axis)];
  for (int64_t i : a.indices) {
    if (i < 0 || i >= size) fail(ctx, name, fmt::format("index {} is outside [0, {}) on axis {}", i, size, a.axis));
  }
  Dims out(x.begin(), x.begin() + a.axis);
  out.insert(out.end(), a.indices_shape.begin(), a.indices_shape.end());
  out.insert(out.end(), x.begin() + a.axis + 1, x.end());
  return out;
}
std::vector<ParamShape> GatherRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost GatherRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims SliceRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.starts.size() != x.size() || a.ends.size() != x.size() || a.steps.size() != x.size()) {
    fail(ctx, name,
         fmt::format("needs a start, end and step for each of the input's {} dimensions, has {}, {} and {}", x.size(),
                     a.starts.size(), a.ends.size(), a.steps.size()));
  }
  Dims out;
  for (std::size_t d = 0; d < x.size(); ++d) {
    const int64_t start = a.starts[d];
    const int64_t end = a.ends[d];
    const int64_t step = a.steps[d];
    // Bounds come clamped from the importer; anything else is a malformed graph. Ranges keep the arithmetic small.
    const bool bounded = step > 0 ? (start >= 0 && start <= x[d] && end >= 0 && end <= x[d])
                                  : (step < 0 && start >= -1 && start < x[d] && end >= -1 && end < x[d]);
    if (!bounded) {
      fail(ctx, name,
           fmt::format("dimension {} of size {}: start {}, end {}, step {} are not a slice inside it", d, x[d], start,
                       end, step));
    }
    const int64_t span = step > 0 ? end - start : start - end;
    const int64_t stride = step > 0 ? step : -step;
    out.push_back(span <= 0 ? 0 : (span - 1) / stride + 1);
  }
  if (numel(out) == 0) fail(ctx, name, fmt::format("takes no elements of {}", to_string(x)));
  return out;
}
std::vector<ParamShape> SliceRule::params(const OpContext& ctx) { return no_params(ctx); }
Cost SliceRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

Dims ConstantRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 0, 0);
  return std::get<Attr>(ctx.attrs).shape;
}
// The value is state of the graph, not learned: a buffer.
std::vector<ParamShape> ConstantRule::params(const OpContext& ctx) {
  return {{"value", std::get<Attr>(ctx.attrs).shape, ParamKind::Buffer}};
}
Cost ConstantRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

const OpTraits ReshapeRule::traits{.view_at_inference = true, .view_in_training = true, .mixes_batch = true};
const OpTraits TransposeRule::traits{.mixes_batch = true};
const OpTraits GatherRule::traits{.mixes_batch = true};
const OpTraits SliceRule::traits{.mixes_batch = true};
const OpTraits ConstantRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
