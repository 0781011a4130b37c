// Pooling for training: max pooling keeps its workspace for backward; fallbacks run the reference
// kernels on plain buffers both ways.
#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/pool_geometry.h"
#include "backend/onednn/trainer.h"

namespace cnnzoo::onednn {
namespace {

void reference_backward(Trainer& t, const Node& n) {
  const Dims& xs = t.graph().shape(n.inputs[0]);
  const Dims& ys = t.graph().shape(n.output);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(ys), n.name);
  const BufferId dx = t.plan().add_buffer(plain_md(xs), n.name + ".dx");
  Plan& plan = t.plan();
  const Node* node = &n;
  t.custom(n.name, {dy, dx}, [&plan, node, dy, dx, xs, ys] {
    const ref::In<float> g = plain_in(plan, dy, ys);
    const ref::Out<float> out = plain_out(plan, dx, xs);
    if (node->op == OpKind::AdaptiveAvgPool) {
      ref::adaptive_avg_pool2d_backward(std::get<attr::AdaptiveAvgPool>(node->attrs), g, out);
    } else {
      ref::avg_pool2d_backward(std::get<attr::Pool>(node->attrs), g, out);
    }
  });
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace

void forward_pool(Trainer& t, const Node& n) {
  const PoolGeometry g = pool_geometry(t.graph(), n);
  if (g.fallback) {
    plain_step(t, n, reference_pool(n));
    return;
  }
  const ValueState x = t.state(n.inputs[0]);
  const memory::desc dst_any(to_dims(t.graph().shape(n.output)), x.md.data_type(), tag::any);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_training, g.algorithm, x.md, dst_any, g.strides,
                                      g.kernel, g.dilation, g.pad_l, g.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.forward = pd;
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, s.inputs[0]}, {DNNL_ARG_DST, s.output}};
  if (g.algorithm == dnnl::algorithm::pooling_max) {
    s.workspace = t.plan().add_buffer(pd.workspace_desc(), n.name + ".workspace");
    args[DNNL_ARG_WORKSPACE] = s.workspace;
  }
  t.step(n.name, dnnl::pooling_v2_forward(pd), std::move(args));
  t.set_state(n.output, s.output, pd.dst_desc());
}

void backward_pool(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  const PoolGeometry g = pool_geometry(t.graph(), n);
  if (g.fallback) return reference_backward(t, n);
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::pooling_v2_forward::primitive_desc>(n);
  dnnl::pooling_v2_backward::desc desc(g.algorithm, fwd.src_desc(), fwd.dst_desc(), g.strides, g.kernel, {0, 0},
                                       g.pad_l, g.pad_r);
  dnnl::pooling_v2_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  std::unordered_map<int, BufferId> args{
      {DNNL_ARG_DIFF_DST, t.as_layout(t.gradient(n.output)->buffer, pd.diff_dst_desc(), n.name)},
      {DNNL_ARG_DIFF_SRC, dx}};
  if (s.workspace >= 0) args[DNNL_ARG_WORKSPACE] = s.workspace;
  t.step(n.name, dnnl::pooling_v2_backward(pd), std::move(args));
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
