// Padding as ONNX's Pad: any dimension, constant, reflect or edge values, negative amounts cropping.
#include <fmt/format.h>

#include <cmath>

#include "cnnzoo/checked.h"
#include "ops/rules.h"

namespace cnnzoo::ops {

using PadRule = Rule<OpKind::Pad>;

Dims PadRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const auto& a = std::get<Attr>(ctx.attrs);
  const Dims& x = ctx.in[0];
  if (a.begin.size() != x.size() || a.end.size() != x.size()) {
    fail(ctx, name,
         fmt::format("needs a begin and end for each of the input's {} dimensions, has {} and {}", x.size(),
                     a.begin.size(), a.end.size()));
  }
  if (a.mode == Attr::Mode::Constant && !std::isfinite(a.value)) {
    fail(ctx, name, fmt::format("needs a finite value, got {}", a.value));
  }
  Dims out;
  for (std::size_t d = 0; d < x.size(); ++d) {
    // Each amount is at most kMaxDim in size, so the sum cannot overflow.
    const bool sane = std::abs(a.begin[d]) <= kMaxDim && std::abs(a.end[d]) <= kMaxDim;
    const int64_t size = sane ? x[d] + a.begin[d] + a.end[d] : 0;
    if (size < 1 || size > kMaxDim) {
      fail(ctx, name,
           fmt::format("padding dimension {} of size {} by {} and {} leaves {}; it must be 1..{}", d, x[d], a.begin[d],
                       a.end[d], sane ? fmt::format("{}", size) : "too many", kMaxDim));
    }
    // A mirror image without its edge has size - 1 values to give on each side (numpy and ONNX's reference would
    // reflect again, beyond that; no exporter pads so far).
    if (a.mode == Attr::Mode::Reflect && (a.begin[d] > x[d] - 1 || a.end[d] > x[d] - 1)) {
      fail(ctx, name,
           fmt::format("reflect padding of dimension {} by {} and {} needs at most {} (its size - 1)", d, a.begin[d],
                       a.end[d], x[d] - 1));
    }
    out.push_back(size);
  }
  return out;
}
std::vector<ParamShape> PadRule::params(const OpContext& ctx) { return no_params(ctx); }
// It moves data and computes nothing.
Cost PadRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

const OpTraits PadRule::traits{.mixes_batch = true};

}  // namespace cnnzoo::ops
