// The activations (algorithms by op in eltwise_ops.cpp), an imported graph's clip, and softmax; an activation works in
// place when nothing else reads its input.
#include "backend/onednn/compiler.h"
#include "backend/onednn/eltwise_ops.h"

namespace cnnzoo::onednn {

namespace {

// Node `n` as oneDNN's eltwise `algorithm` with `alpha` and `beta`, in place when nothing else reads its input.
void eltwise_step(Compiler& compiler, const Node& n, dnnl::algorithm algorithm, float alpha, float beta) {
  const ValueState x = compiler.state(n.inputs[0]);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, x.md, alpha, beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, compiler.engine());
  const BufferId dst =
      compiler.in_place_over(n.inputs[0], n) ? x.buffer : compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace

void lower_eltwise(Compiler& compiler, const Node& n) {
  const EltwiseOp op = eltwise_op(n);
  eltwise_step(compiler, n, op.inference, op.alpha, op.beta);
}

void lower_clip(Compiler& compiler, const Node& n) {
  // An infinite bound stays infinite as a float; min(inf, x) and max(-inf, x) leave x alone.
  const auto& a = std::get<attr::Clip>(n.attrs);
  eltwise_step(compiler, n, dnnl::algorithm::eltwise_clip, static_cast<float>(a.min), static_cast<float>(a.max));
}

void lower_softmax(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::Softmax>(n.attrs);
  const ValueState x = compiler.state(n.inputs[0]);
  dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, x.md, static_cast<int>(a.axis));
  dnnl::softmax_forward::primitive_desc pd(desc, compiler.engine());
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
