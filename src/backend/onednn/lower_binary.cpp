// The arithmetic of two inputs in imported graphs: add (where one input broadcasts), sub, mul and div as oneDNN's
// binary primitive, and pow by a constant scalar as its eltwise pow. Whatever they do not express (a broadcast of the
// first operand of sub or div, min and max, an exponent that varies) runs on the reference kernel.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

namespace {

struct BinaryAlgorithm {
  dnnl::algorithm algorithm;
  bool commutative;
};

// oneDNN's binary algorithm of an op. Min and Max are not here: the reference kernel keeps a NaN operand, as numpy and
// ONNX do, where oneDNN's max and min may return the other operand.
std::optional<BinaryAlgorithm> binary_algorithm(OpKind op) {
  using A = dnnl::algorithm;
  static const std::map<OpKind, BinaryAlgorithm> kBinary{
      {OpKind::Add, {A::binary_add, true}},
      {OpKind::Mul, {A::binary_mul, true}},
      {OpKind::Sub, {A::binary_sub, false}},
      {OpKind::Div, {A::binary_div, false}},
  };
  const auto it = kBinary.find(op);
  return it == kBinary.end() ? std::nullopt : std::optional(it->second);
}

// The exponents that oneDNN 2.6's eltwise pow computes as products or a square root (a variance's square, a norm's
// root): they agree with std::pow, the reference's definition, on every base. Other powers stay on the reference.
bool eltwise_pow_exponent(float p) { return p == 0.5f || p == 1.0f || p == 2.0f || p == 3.0f; }

// Pow of a value by a constant scalar that eltwise_pow_exponent() accepts, as oneDNN's eltwise pow (1 * x^p).
bool lower_pow_by_constant(Lowering& lowering, const Node& n) {
  const float* exponent = constant_floats(lowering, n.inputs[1]);
  if (exponent == nullptr || numel(lowering.graph().shape(n.inputs[1])) != 1 || !eltwise_pow_exponent(*exponent) ||
      lowering.graph().shape(n.inputs[0]) != lowering.graph().shape(n.output)) {
    return false;
  }
  const ValueState x = lowering.state(n.inputs[0]);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_pow, x.md, 1.0f,
                                   *exponent);
  dnnl::eltwise_forward::primitive_desc pd(desc, lowering.engine());
  const BufferId dst = lowering.plan().add_buffer(pd.dst_desc(), n.name);
  lowering.step(n.name, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, dst}});
  lowering.set_state(n.output, dst, pd.dst_desc());
  return true;
}

}  // namespace

void lower_binary(Lowering& lowering, const Node& n) {
  if (n.op == OpKind::Pow && lower_pow_by_constant(lowering, n)) return;
  const std::optional<BinaryAlgorithm> op = binary_algorithm(n.op);
  const Graph& g = lowering.graph();
  const Dims& out = g.shape(n.output);
  if (!op || n.inputs.size() != 2 || out.empty() || out.size() > DNNL_MAX_NDIMS) return lower_plain(lowering, n);
  // oneDNN's first source has the output's shape and the second broadcasts (oneDNN 2.6 broadcasts only the second):
  // a commutative op takes its operands in either order, sub and div only in theirs.
  std::size_t first = 0;
  if (g.shape(n.inputs[0]) != out) {
    if (!op->commutative || g.shape(n.inputs[1]) != out) return lower_plain(lowering, n);
    first = 1;
  }
  const ValueId x_id = n.inputs[first];
  const ValueId s_id = n.inputs[1 - first];
  const ValueState x = lowering.state(x_id);
  const Dims& s_shape = g.shape(s_id);
  // An operand of the output's shape is read in x's layout; one of the output's rank in its own (a squeeze-and-
  // excitation gate after pooling); a lower rank (a bias over the last dimension) as plain, ones prepended.
  memory::desc s_md = x.md;
  if (s_shape != out) {
    s_md = s_shape.size() == out.size() ? lowering.state(s_id).md : plain_md(with_leading_ones(s_shape, out.size()));
  }
  std::optional<dnnl::binary::primitive_desc> pd;
  try {
    pd.emplace(dnnl::binary::desc(op->algorithm, x.md, s_md, x.md), lowering.engine());
  } catch (const dnnl::error&) {
    return lower_plain(lowering, n);  // a pairing of layouts oneDNN's binary does not take
  }
  // oneDNN's own reference code (a broadcast its vector code lacks, as over the last dimension) is about 30 times
  // slower than the reference kernel here (measured on ConvNeXt's written-out layer norms: 7.7 ms against 0.25 ms).
  if (std::string_view(pd->impl_info_str()).starts_with("ref")) return lower_plain(lowering, n);
  BufferId s_buffer = lowering.state(s_id).buffer;
  if (s_shape == out) {
    s_buffer = lowering.input_as(s_id, x.md, n.name);
  } else if (s_shape.size() != out.size()) {
    const BufferId plain = lowering.input_as(s_id, plain_md(s_shape), n.name);
    s_buffer = lowering.plan().add_alias(plain, s_md, n.name + ".broadcast");
  }
  const BufferId dst = lowering.plan().add_buffer(pd->dst_desc(), n.name);
  lowering.step(n.name, dnnl::binary(*pd),
                {{DNNL_ARG_SRC_0, x.buffer}, {DNNL_ARG_SRC_1, s_buffer}, {DNNL_ARG_DST, dst}});
  lowering.set_state(n.output, dst, pd->dst_desc());
}

}  // namespace cnnzoo::onednn
