// MatMul: numpy's matmul on inputs of rank >= 2; the dimensions before the last two broadcast.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using MatMulRule = Rule<OpKind::MatMul>;

Dims MatMulRule::shape(const OpContext& c) {
  expect_inputs(c, name, 2, 0);
  const Dims& a = c.in[0];
  const Dims& b = c.in[1];
  if (a.size() < 2 || b.size() < 2) {
    fail(c, name, fmt::format("expects inputs of rank 2 or more, got {} and {}", to_string(a), to_string(b)));
  }
  const int64_t k = a[a.size() - 1];
  if (b[b.size() - 2] != k) {
    fail(c, name,
         fmt::format("cannot multiply {} by {}: {} columns against {} rows", to_string(a), to_string(b), k,
                     b[b.size() - 2]));
  }
  const std::optional<Dims> batch = broadcast(Dims(a.begin(), a.end() - 2), Dims(b.begin(), b.end() - 2));
  if (!batch) {
    fail(c, name, fmt::format("cannot broadcast the batch dimensions of {} and {}", to_string(a), to_string(b)));
  }
  Dims out = *batch;
  out.push_back(a[a.size() - 2]);
  out.push_back(b[b.size() - 1]);
  return out;
}
std::vector<ParamShape> MatMulRule::params(const OpContext& c) { return no_params(c); }
// One multiply-add per output element and row of the inner dimension.
Cost MatMulRule::cost(const OpContext& c, const Dims& out) {
  return mac_cost(product({numel(out), c.in[0].back()}, "MACs"), 0, false);
}

}  // namespace cnnzoo::ops
