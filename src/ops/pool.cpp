// Max and average pooling share the window rule; they differ only in what a window costs.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {
namespace {

Dims pool_shape(const OpContext& ctx, std::string_view op) {
  expect_inputs(ctx, op, 1, 4);
  const auto& a = std::get<attr::Pool>(ctx.attrs);
  const Hw stride = a.effective_stride();
  const Hw end = a.effective_pad_end();
  // Padding smaller than the kernel, so every window sees some input. (PyTorch asks for at most half the
  // kernel; ONNX files may pad more.)
  if (a.pad.h >= a.kernel.h || a.pad.w >= a.kernel.w || end.h >= a.kernel.h || end.w >= a.kernel.w) {
    fail(ctx, op,
         fmt::format("padding {} (after: {}) must be smaller than the kernel {}", to_string(a.pad), to_string(end),
                     to_string(a.kernel)));
  }
  if (a.dilation.h < 1 || a.dilation.w < 1) {
    fail(ctx, op, fmt::format("dilation {} must be 1 or more", to_string(a.dilation)));
  }
  // ONNX's MaxPool has dilations (PyTorch's MaxPool2d too); AveragePool has them only from opset 19, which cnnzoo
  // does not read, and PyTorch's AvgPool2d not at all.
  if (a.dilation != Hw(1) && op == Rule<OpKind::AvgPool>::name) {
    fail(ctx, op, fmt::format("dilation {} is not supported in average pooling", to_string(a.dilation)));
  }
  const Dims& x = ctx.in[0];
  const int64_t h =
      window_output(ctx, op, "height", x[2], a.kernel.h, stride.h, a.pad.h, end.h, a.dilation.h, a.ceil_mode);
  const int64_t w =
      window_output(ctx, op, "width", x[3], a.kernel.w, stride.w, a.pad.w, end.w, a.dilation.w, a.ceil_mode);
  return {x[0], x[1], h, w};
}

int64_t window_size(const OpContext& ctx) {
  const auto& a = std::get<attr::Pool>(ctx.attrs);
  return checked_mul(a.kernel.h, a.kernel.w, "the pooling window");
}

}  // namespace

using MaxRule = Rule<OpKind::MaxPool>;
using AvgRule = Rule<OpKind::AvgPool>;

Dims MaxRule::shape(const OpContext& ctx) { return pool_shape(ctx, name); }
std::vector<ParamShape> MaxRule::params(const OpContext& ctx) { return no_params(ctx); }
// A window of k elements takes k - 1 comparisons.
Cost MaxRule::cost(const OpContext& ctx, const Dims& out) { return {0, flops_per_element(out, window_size(ctx) - 1)}; }

Dims AvgRule::shape(const OpContext& ctx) { return pool_shape(ctx, name); }
std::vector<ParamShape> AvgRule::params(const OpContext& ctx) { return no_params(ctx); }
// A window of k elements takes k - 1 additions and one division.
Cost AvgRule::cost(const OpContext& ctx, const Dims& out) { return {0, flops_per_element(out, window_size(ctx))}; }

const OpTraits MaxRule::traits{.trains = true};
const OpTraits AvgRule::traits{.trains = true};

}  // namespace cnnzoo::ops
