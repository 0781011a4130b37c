#include "cnnzoo/training_storage.h"

#include <algorithm>

#include "cnnzoo/buffer_sharing.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

// Whether node `id` may write its output over input `v`: it is the buffer's only reader (a training step
// keeps values for the backward pass, so an earlier reader's input must stay intact too), `v` is no
// view of another value's buffer, and the backward of v's producer does not read its output.
bool may_overwrite(const Graph& g, NodeId id, ValueId v) {
  if (buffer_owner(g, v, Pass::Training) != v || buffer_readers(g, v, Pass::Training) != std::vector<NodeId>{id}) {
    return false;
  }
  if (!may_overwrite_buffer(g, v, id, id, Pass::Training)) return false;  // a graph input, output or constant
  return !ops::traits(g.node(g.value(v).producer).op).backward_reads_output && g.shape(v) == g.shape(g.node(id).output);
}

bool fused_into_batch_norm(const Graph& g, const Node& relu) {
  const Value& x = g.value(relu.inputs[0]);
  return x.producer != kNoNode && g.node(x.producer).op == OpKind::BatchNorm && x.consumers.size() == 1 &&
         !g.is_output(relu.inputs[0]);
}

// A batch norm with a fused ReLU whose output only layers that can recompute it read.
bool recomputed(const Graph& g, NodeId batch_norm) {
  const NodeId relu = fused_relu(g, batch_norm);
  if (relu == kNoNode || g.is_output(g.node(relu).output)) return false;
  const Value& r = g.value(g.node(relu).output);
  return !r.consumers.empty() && std::all_of(r.consumers.begin(), r.consumers.end(), [&](NodeId c) {
    return g.node(c).op == OpKind::Conv || g.node(c).op == OpKind::Linear;
  });
}

// Recomputing a 1x1 convolution on this many input channels or fewer costs few multiply-adds per byte
// its output would keep (ResNet-50: the expanding convolutions of the first two stages).
constexpr int64_t kRecomputedConvChannels = 128;

// A cheap convolution whose output only batch norms read (in their backward, as their input).
bool recomputed_conv(const Graph& g, const Node& conv) {
  const auto& a = std::get<attr::Conv>(conv.attrs);
  const Value& y = g.value(conv.output);
  if (a.kernel.h != 1 || a.kernel.w != 1 || g.shape(conv.inputs[0])[1] / a.groups > kRecomputedConvChannels) {
    return false;
  }
  return !y.consumers.empty() && !g.is_output(conv.output) &&
         std::all_of(y.consumers.begin(), y.consumers.end(),
                     [&](NodeId c) { return g.node(c).op == OpKind::BatchNorm; });
}

}  // namespace

ValueId overwritten_input(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  if (!ops::traits(n.op).in_place_in_training) return -1;
  if (n.op == OpKind::Relu && fused_into_batch_norm(g, n)) return -1;
  if (n.op == OpKind::Add) {
    for (ValueId v : n.inputs) {
      if (g.shape(v) != g.shape(n.output)) return -1;  // a broadcast add
    }
  }
  for (ValueId v : n.inputs) {
    if (may_overwrite(g, id, v)) return v;
  }
  return -1;
}

NodeId fused_relu(const Graph& g, NodeId batch_norm) {
  const Value& y = g.value(g.node(batch_norm).output);
  if (y.consumers.size() != 1) return kNoNode;
  const Node& relu = g.node(y.consumers[0]);
  return relu.op == OpKind::Relu && fused_into_batch_norm(g, relu) ? y.consumers[0] : kNoNode;
}

TrainingOutput training_output(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  if (n.op == OpKind::Relu && fused_into_batch_norm(g, n)) return TrainingOutput::Fused;
  if (n.op == OpKind::BatchNorm && recomputed(g, id)) return TrainingOutput::Recomputed;
  if (n.op == OpKind::Conv && recomputed_conv(g, n)) return TrainingOutput::Recomputed;
  return overwritten_input(g, id) >= 0 ? TrainingOutput::InPlace : TrainingOutput::Own;
}

}  // namespace cnnzoo
