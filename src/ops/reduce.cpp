// Reductions of imported graphs: the mean, sum, maximum or minimum over some axes (ONNX's Reduce*).
#include <fmt/format.h>

#include <algorithm>

#include "ops/rules.h"

namespace cnnzoo::ops {
namespace {

// The input's shape with the reduced axes made 1 (keepdims) or dropped.
Dims reduced_shape(const OpContext& ctx, std::string_view op) {
  expect_inputs(ctx, op, 1, 0);
  const auto& a = std::get<attr::Reduce>(ctx.attrs);
  const Dims& x = ctx.in[0];
  for (std::size_t i = 0; i < a.axes.size(); ++i) {
    if (a.axes[i] < 0 || a.axes[i] >= static_cast<int64_t>(x.size()) || (i > 0 && a.axes[i] <= a.axes[i - 1])) {
      fail(ctx, op,
           fmt::format("axes ({}) must ascend without repeats inside the input's {} dimensions",
                       fmt::join(a.axes, ", "), x.size()));
    }
  }
  Dims out;
  for (std::size_t d = 0; d < x.size(); ++d) {
    const bool reduced = a.axes.empty() || std::binary_search(a.axes.begin(), a.axes.end(), static_cast<int64_t>(d));
    if (!reduced) {
      out.push_back(x[d]);
    } else if (a.keepdims) {
      out.push_back(1);
    }
  }
  if (numel(x) == 0) fail(ctx, op, fmt::format("cannot reduce an empty input ({})", to_string(x)));
  return out;
}

// One addition or comparison per input element; a mean divides each output once more.
Cost reduce_cost(const OpContext& ctx, const Dims& out, bool divides) {
  return {0, checked_add(flops_per_element(ctx.in[0], 1), divides ? numel(out) : 0, "FLOPs")};
}

}  // namespace

#define CNNZOO_REDUCE_RULE(KIND, DIVIDES)                                                                         \
  Dims Rule<OpKind::KIND>::shape(const OpContext& ctx) { return reduced_shape(ctx, name); }                       \
  std::vector<ParamShape> Rule<OpKind::KIND>::params(const OpContext& ctx) { return no_params(ctx); }             \
  Cost Rule<OpKind::KIND>::cost(const OpContext& ctx, const Dims& out) { return reduce_cost(ctx, out, DIVIDES); } \
  const OpTraits Rule<OpKind::KIND>::traits{.mixes_batch = true};

CNNZOO_REDUCE_RULE(ReduceMean, true)
CNNZOO_REDUCE_RULE(ReduceSum, false)
CNNZOO_REDUCE_RULE(ReduceMax, false)
CNNZOO_REDUCE_RULE(ReduceMin, false)
#undef CNNZOO_REDUCE_RULE

}  // namespace cnnzoo::ops
