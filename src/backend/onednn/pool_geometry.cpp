#include "backend/onednn/pool_geometry.h"

#include "cnnzoo/error.h"
#include "ops/family_table.h"

namespace cnnzoo::onednn {
namespace {

// oneDNN takes explicit padding: in ceil mode the end padding grows to reach the last window.
PoolGeometry window(const attr::Pool& a, const Dims& x, const Dims& y, dnnl::algorithm algorithm) {
  const Hw stride = a.effective_stride();
  const Hw end = a.effective_pad_end();
  const Hw span{(a.kernel.h - 1) * a.dilation.h + 1, (a.kernel.w - 1) * a.dilation.w + 1};
  const Hw needed{(y[2] - 1) * stride.h + span.h - x[2] - a.pad.h, (y[3] - 1) * stride.w + span.w - x[3] - a.pad.w};
  const Hw pad_r{std::max(end.h, needed.h), std::max(end.w, needed.w)};
  PoolGeometry g{.algorithm = algorithm,
                 .kernel = {a.kernel.h, a.kernel.w},
                 .strides = {stride.h, stride.w},
                 .pad_l = {a.pad.h, a.pad.w},
                 .pad_r = {pad_r.h, pad_r.w},
                 .dilation = {a.dilation.h - 1, a.dilation.w - 1}};
  // PyTorch clips an average window at the padded input; oneDNN would count the extra ceil-mode padding.
  g.fallback = algorithm == dnnl::algorithm::pooling_avg_include_padding && (pad_r.h != end.h || pad_r.w != end.w);
  return g;
}

PoolGeometry whole_windows(int64_t kh, int64_t kw) {
  return {.algorithm = dnnl::algorithm::pooling_avg_exclude_padding,
          .kernel = {kh, kw},
          .strides = {kh, kw},
          .pad_l = {0, 0},
          .pad_r = {0, 0},
          .dilation = {0, 0}};
}

}  // namespace

PoolGeometry pool_geometry(const Graph& graph, const Node& n) {
  const Dims& x = graph.shape(n.inputs[0]);
  const Dims& y = graph.shape(n.output);
  static_assert(ops::family_size(OpFamily::Pool) == 4, "pool_geometry() tells apart 4 pooling ops");
  if (n.op == OpKind::MaxPool) return window(std::get<attr::Pool>(n.attrs), x, y, dnnl::algorithm::pooling_max);
  if (n.op == OpKind::AvgPool) {
    const auto& a = std::get<attr::Pool>(n.attrs);
    return window(a, x, y,
                  a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                      : dnnl::algorithm::pooling_avg_exclude_padding);
  }
  if (n.op == OpKind::AdaptiveAvgPool) {
    PoolGeometry g = whole_windows(x[2] / y[2], x[3] / y[3]);
    g.fallback = x[2] % y[2] != 0 || x[3] % y[3] != 0;  // PyTorch's windows overlap then
    return g;
  }
  if (n.op == OpKind::GlobalAvgPool) return whole_windows(x[2], x[3]);
  throw Error("pool_geometry: " + n.name + " is not a pooling node");
}

}  // namespace cnnzoo::onednn
