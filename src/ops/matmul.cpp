// MatMul: numpy's matmul on inputs of rank >= 2; the dimensions before the last two broadcast.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using MatMulRule = Rule<OpKind::MatMul>;

Dims MatMulRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 2, 0);
  const Dims& a = ctx.in[0];
  const Dims& b = ctx.in[1];
  if (a.size() < 2 || b.size() < 2) {
    fail(ctx, name, fmt::format("expects inputs of rank 2 or more, got {} and {}", to_string(a), to_string(b)));
  }
  const int64_t k = a[a.size() - 1];
  if (b[b.size() - 2] != k) {
    fail(ctx, name,
         fmt::format("cannot multiply {} by {}: {} columns against {} rows", to_string(a), to_string(b), k,
                     b[b.size() - 2]));
  }
  const std::optional<Dims> batch = broadcast(Dims(a.begin(), a.end() - 2), Dims(b.begin(), b.end() - 2));
  if (!batch) {
    fail(ctx, name, fmt::format("cannot broadcast the batch dimensions of {} and {}", to_string(a), to_string(b)));
  }
  Dims out = *batch;
  out.push_back(a[a.size() - 2]);
  out.push_back(b[b.size() - 1]);
  return out;
}
std::vector<ParamShape> MatMulRule::params(const OpContext& ctx) { return no_params(ctx); }
// One multiply-add per output element and row of the inner dimension.
Cost MatMulRule::cost(const OpContext& ctx, const Dims& out) {
  return mac_cost(product({numel(out), ctx.in[0].back()}, "MACs"), 0, false);
}

const OpTraits MatMulRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
