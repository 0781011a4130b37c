// Which nodes the inference plan runs inside others (see ConvFusion).
#include <optional>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

namespace {

// The Add that is the only reader of MatMul `id`'s product and adds a bias over its last dimension (a constant or a
// graph input of that size, ones before it), keeping the product's shape.
std::optional<NodeId> bias_add(const Graph& g, NodeId id) {
  const ValueId product = g.node(id).output;
  const auto add = g.only_consumer(product, OpKind::Add);
  if (!add || g.node(*add).inputs.size() != 2 || g.shape(g.node(*add).output) != g.shape(product)) return std::nullopt;
  const Node& a = g.node(*add);
  const ValueId bias = a.inputs[0] == product ? a.inputs[1] : a.inputs[0];
  const NodeId producer = g.value(bias).producer;
  if (producer != kNoNode && g.node(producer).op != OpKind::Constant) return std::nullopt;
  const Dims& b = g.shape(bias);
  const bool over_columns = bias != product && !b.empty() && b.back() == g.shape(product).back() &&
                            numel(b) == b.back() && b.size() <= g.shape(product).size();
  return over_columns ? std::optional(*add) : std::nullopt;
}

}  // namespace

Fusions plan_inference_fusions(const Graph& g, const Parameters& parameters) {
  Fusions f;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    const Node& n = g.node(id);
    if (n.op == OpKind::BatchNorm && !f.absorbed.contains(id)) {
      if (auto relu = g.only_consumer(n.output, OpKind::Relu)) {
        f.batch_norm_relu.insert(id);
        f.absorbed.insert(*relu);
      }
      continue;
    }
    if (n.op == OpKind::MatMul) {
      if (const auto add = bias_add(g, id)) {
        f.matmul_bias.emplace(*add, id);
        f.absorbed.insert(id);
      }
      continue;
    }
    if (n.op != OpKind::Conv) continue;
    ConvFusion cf;
    ValueId y = n.output;
    if (auto bn = g.only_consumer(y, OpKind::BatchNorm)) {
      cf.batch_norm = *bn;
      y = g.node(*bn).output;
    }
    if (auto relu = g.only_consumer(y, OpKind::Relu)) {
      cf.relu = *relu;
      y = g.node(*relu).output;
    } else if (auto add = g.only_consumer(y, OpKind::Add); add && g.node(*add).inputs.size() == 2) {
      // The other operand must already be computed when the convolution runs.
      const Node& a = g.node(*add);
      const ValueId other = a.inputs[0] == y ? a.inputs[1] : a.inputs[0];
      const NodeId producer = g.value(other).producer;
      if (other != y && producer < id) {
        cf.add = *add;
        cf.sum_operand = other;
        y = a.output;
        if (auto relu_after = g.only_consumer(y, OpKind::Relu)) {
          cf.relu_after_add = *relu_after;
          y = g.node(*relu_after).output;
        }
      }
    }
    cf.result = y;
    for (NodeId absorbed : {cf.batch_norm, cf.relu, cf.add, cf.relu_after_add}) {
      if (absorbed != kNoNode) f.absorbed.insert(absorbed);
    }
    f.conv.emplace(id, cf);
  }
  plan_written_out_fusions(g, parameters, f);
  return f;
}

}  // namespace cnnzoo::onednn
