// Activations (relu, sigmoid, elu) and softmax; an activation works in place when nothing else reads its input.
#include "backend/onednn/compiler.h"
#include "backend/onednn/eltwise_ops.h"

namespace cnnzoo::onednn {

void lower_eltwise(Compiler& c, const Node& n) {
  const ValueState x = c.state(n.inputs[0]);
  const EltwiseOp op = eltwise_op(n);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, op.inference, x.md, op.alpha, op.beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, c.engine());
  const BufferId dst = c.in_place_over(n.inputs[0], n) ? x.buffer : c.plan().add_buffer(pd.dst_desc(), n.name);
  c.step(n.name, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, dst}});
  c.set_state(n.output, dst, pd.dst_desc());
}

void lower_softmax(Compiler& c, const Node& n) {
  const auto& a = std::get<attr::Softmax>(n.attrs);
  const ValueState x = c.state(n.inputs[0]);
  dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, x.md, static_cast<int>(a.axis));
  dnnl::softmax_forward::primitive_desc pd(desc, c.engine());
  const BufferId dst = c.plan().add_buffer(pd.dst_desc(), n.name);
  c.step(n.name, dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, dst}});
  c.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
