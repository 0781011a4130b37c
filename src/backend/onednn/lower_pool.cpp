// Max, average, adaptive and global average pooling.
#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"
#include "cnnzoo/error.h"

namespace cnnzoo::onednn {
namespace {

struct Window {
  Hw kernel, stride, pad_begin, pad_end;
};

// oneDNN takes explicit padding: in ceil mode the end padding grows to reach the last window.
Window window_of(const attr::Pool& a, const Dims& x, const Dims& y) {
  const Hw stride{a.stride.h ? a.stride.h : a.kernel.h, a.stride.w ? a.stride.w : a.kernel.w};
  const Hw end = a.pad_end.value_or(a.pad);
  const Hw needed{(y[2] - 1) * stride.h + a.kernel.h - x[2] - a.pad.h,
                  (y[3] - 1) * stride.w + a.kernel.w - x[3] - a.pad.w};
  return {a.kernel, stride, a.pad, {std::max(end.h, needed.h), std::max(end.w, needed.w)}};
}

void pooling_step(Compiler& c, const Node& n, dnnl::algorithm algorithm, const Window& w) {
  const ValueState& x = c.state(n.inputs[0]);
  const memory::desc dst_any(to_dims(c.graph().shape(n.output)), dt::f32, tag::any);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, x.md, dst_any,
                                      {w.stride.h, w.stride.w}, {w.kernel.h, w.kernel.w}, {0, 0},
                                      {w.pad_begin.h, w.pad_begin.w}, {w.pad_end.h, w.pad_end.w});
  dnnl::pooling_v2_forward::primitive_desc pd(desc, c.engine());
  const BufferId src = c.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId dst = c.plan().add_buffer(pd.dst_desc(), n.name);
  c.step(n.name, dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  c.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace

void lower_pool(Compiler& c, const Node& n) {
  const Dims& x = c.graph().shape(n.inputs[0]);
  const Dims& y = c.graph().shape(n.output);
  switch (n.op) {
    case OpKind::MaxPool:
      return pooling_step(c, n, dnnl::algorithm::pooling_max, window_of(std::get<attr::Pool>(n.attrs), x, y));
    case OpKind::AvgPool: {
      const auto& a = std::get<attr::Pool>(n.attrs);
      const Window w = window_of(a, x, y);
      const Hw end = a.pad_end.value_or(a.pad);
      // PyTorch clips a window at the padded input; oneDNN would count the extra ceil-mode padding.
      if (a.count_include_pad && (w.pad_end.h != end.h || w.pad_end.w != end.w)) {
        return plain_step(c, n, [a](ref::In<float> in, ref::Out<float> out) { ref::avg_pool2d_forward(a, in, out); });
      }
      return pooling_step(c, n,
                          a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                              : dnnl::algorithm::pooling_avg_exclude_padding,
                          w);
    }
    case OpKind::AdaptiveAvgPool: {
      const auto& a = std::get<attr::AdaptiveAvgPool>(n.attrs);
      if (x[2] % y[2] != 0 || x[3] % y[3] != 0) {
        return plain_step(
            c, n, [a](ref::In<float> in, ref::Out<float> out) { ref::adaptive_avg_pool2d_forward(a, in, out); });
      }
      const Hw k{x[2] / y[2], x[3] / y[3]};
      return pooling_step(c, n, dnnl::algorithm::pooling_avg_exclude_padding, {k, k, 0, 0});
    }
    case OpKind::GlobalAvgPool: {
      const Hw k{x[2], x[3]};
      return pooling_step(c, n, dnnl::algorithm::pooling_avg_exclude_padding, {k, k, 0, 0});
    }
    default:
      throw Error("lower_pool: not a pooling node");
  }
}

}  // namespace cnnzoo::onednn
