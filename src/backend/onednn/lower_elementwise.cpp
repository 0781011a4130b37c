// The activations (algorithms by op in eltwise_ops.cpp), an imported graph's clip, and softmax; an activation works in
// place when nothing else reads its input.
#include <map>
#include <vector>

#include "backend/onednn/compiler.h"
#include "backend/onednn/eltwise_ops.h"

namespace cnnzoo::onednn {

namespace {

// One oneDNN eltwise: its algorithm and parameters.
struct Eltwise {
  dnnl::algorithm algorithm;
  float alpha = 0;
  float beta = 0;
};

// Node `n` as oneDNN's eltwise primitives `chain` applied in turn to `input`: the first in place when nothing else
// reads it, the others in place over the first's output.
void eltwise_steps_of(Compiler& compiler, const Node& n, ValueId input, const std::vector<Eltwise>& chain) {
  const ValueState x = compiler.state(input);
  BufferId src = x.buffer;
  BufferId dst = -1;
  memory::desc md = x.md;
  for (const Eltwise& e : chain) {
    dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, e.algorithm, md, e.alpha, e.beta);
    dnnl::eltwise_forward::primitive_desc pd(desc, compiler.engine());
    if (dst < 0) {
      dst = compiler.in_place_over(input, n) ? x.buffer : compiler.plan().add_buffer(pd.dst_desc(), n.name);
    }
    compiler.step(n.name, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    src = dst;
    md = pd.dst_desc();
  }
  compiler.set_state(n.output, dst, md);
}

void eltwise_steps(Compiler& compiler, const Node& n, const std::vector<Eltwise>& chain) {
  eltwise_steps_of(compiler, n, n.inputs[0], chain);
}

void eltwise_step(Compiler& compiler, const Node& n, dnnl::algorithm algorithm, float alpha, float beta) {
  eltwise_steps(compiler, n, {{algorithm, alpha, beta}});
}

// The imported functions of one input that oneDNN 2.6 computes, as eltwise primitives; empty for the others (erf:
// oneDNN has it only inside gelu_erf).
std::vector<Eltwise> eltwise_chain(const Node& n) {
  using A = dnnl::algorithm;
  static const std::map<OpKind, Eltwise> kOne{
      {OpKind::Sqrt, {A::eltwise_sqrt}},
      {OpKind::Exp, {A::eltwise_exp}},
      {OpKind::Tanh, {A::eltwise_tanh}},
      {OpKind::Abs, {A::eltwise_abs}},
      {OpKind::Neg, {A::eltwise_linear, -1.0f, 0.0f}},
      {OpKind::HardSwish,
       {A::eltwise_hardswish}},  // x min(max(x + 3, 0), 6) / 6: ONNX's x max(0, min(1, x / 6 + 1 / 2))
  };
  if (const auto it = kOne.find(n.op); it != kOne.end()) return {it->second};
  if (n.op == OpKind::HardSigmoid) {  // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha x + beta)) in two steps
    const auto& a = std::get<attr::HardSigmoid>(n.attrs);
    return {{A::eltwise_linear, static_cast<float>(a.alpha), static_cast<float>(a.beta)},
            {A::eltwise_clip, 0.0f, 1.0f}};
  }
  return {};
}

}  // namespace

void lower_function(Compiler& compiler, const Node& n) {
  const std::vector<Eltwise> chain = eltwise_chain(n);
  if (chain.empty()) return lower_plain(compiler, n);
  eltwise_steps(compiler, n, chain);
}

void lower_eltwise(Compiler& compiler, const Node& n) {
  const EltwiseOp op = eltwise_op(n);
  eltwise_step(compiler, n, op.inference, op.alpha, op.beta);
}

void lower_gelu(Compiler& compiler, const Node& n, ValueId x) {
  eltwise_steps_of(compiler, n, x, {{dnnl::algorithm::eltwise_gelu_erf}});
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
