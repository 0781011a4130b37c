#include "cnnzoo/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "analysis/liveness.h"
#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "cnnzoo/training_storage.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

constexpr int64_t kActivationBytes = 4;  // fp32

// What node `id` keeps from the forward pass to the backward pass, by the training engine's rule: its
// output unless it works in place or is recomputed, a bit per element for a ReLU run by its batch norm,
// and a byte per element for dropout's mask.
int64_t saved_for_backward_bytes(const Graph& g, NodeId id) {
  const int64_t count = numel(g.shape(g.node(id).output));  // an output's bytes fit: Graph checks its shape
  switch (training_output(g, id)) {
    case TrainingOutput::InPlace:
    case TrainingOutput::Recomputed:
      return 0;
    case TrainingOutput::Fused:
      return (count + 7) / 8;
    case TrainingOutput::Own:
      break;
  }
  return checked_add(checked_mul(count, kActivationBytes, "bytes kept for backward"),
                     g.node(id).op == OpKind::Dropout ? count : 0, "bytes kept for backward");
}

// Ops that the papers' tables fold into the layer before them.
bool joins_previous_row(OpKind op) { return ops::traits(op).folds_into_previous_row; }

bool starts_with_module(const std::string& name, const std::string& prefix) {
  return name == prefix || (name.size() > prefix.size() && name.starts_with(prefix) && name[prefix.size()] == '.');
}

// The last node to analyse for `until`: that exact node, else the last node of that module prefix.
NodeId last_node_for(const Graph& g, const std::string& until) {
  if (auto exact = g.find_node(until)) return *exact;
  for (auto id = static_cast<NodeId>(g.nodes().size()) - 1; id >= 0; --id) {
    if (starts_with_module(g.node(id).name, until)) return id;
  }
  std::vector<std::string> modules;
  for (const Node& n : g.nodes()) {
    std::string top = n.name.substr(0, n.name.find('.'));
    if (std::find(modules.begin(), modules.end(), top) == modules.end()) modules.push_back(std::move(top));
  }
  throw OptionErrorOf<UnknownNameError>(
      {"AnalysisOptions::until"},
      fmt::format("AnalysisOptions::until: no row, node or module named '{}' in {}; its top-level modules: {}", until,
                  g.name(), fmt::join(modules, ", ")));
}

// Receptive field (pixels of the input one pixel sees) and jump (input pixels between neighbours).
struct Field {
  Hw size{1};
  Hw jump{1};
};

Field window(const Field& in, Hw kernel, Hw stride, Hw dilation = 1) {
  constexpr std::string_view kWhat = "the receptive field";
  auto grow = [&](int64_t size, int64_t k, int64_t d, int64_t jump) {
    return checked_add(size, checked_mul(checked_mul(k - 1, d, kWhat), jump, kWhat), kWhat);
  };
  return {{grow(in.size.h, kernel.h, dilation.h, in.jump.h), grow(in.size.w, kernel.w, dilation.w, in.jump.w)},
          {checked_mul(in.jump.h, stride.h, kWhat), checked_mul(in.jump.w, stride.w, kWhat)}};
}

// The widest field and jump of the given inputs.
Field widest_of(const std::vector<Field>& in) {
  Field widest = in[0];
  for (const Field& f : in) {
    widest.size = {std::max(widest.size.h, f.size.h), std::max(widest.size.w, f.size.w)};
    widest.jump = {std::max(widest.jump.h, f.jump.h), std::max(widest.jump.w, f.jump.w)};
  }
  return widest;
}

// An input broadcast over the output (an SE gate, a bias) adds no spatial extent: only the inputs of the
// output's own shape carry its field.
Field field_of_broadcast(const Graph& g, const Node& n, const std::vector<Field>& in) {
  std::vector<Field> full;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (g.shape(n.inputs[i]) == g.shape(n.output)) full.push_back(in[i]);
  }
  return full.empty() ? in[0] : widest_of(full);
}

// Elementwise ops of two inputs broadcast; a reduction over height or width sees the whole map; the others (a
// transpose, a slice) are followed as their widest input.
Field field_of_tensor_op(const Graph& g, const Node& n, const Dims& x, const std::vector<Field>& in) {
  if (n.inputs.size() == 2 && !ops::traits(n.op).onnx_name.empty()) return field_of_broadcast(g, n, in);
  if (const auto* reduce = std::get_if<attr::Reduce>(&n.attrs); reduce != nullptr && x.size() == 4) {
    const auto& axes = reduce->axes;
    const bool spatial = axes.empty() || std::any_of(axes.begin(), axes.end(), [](int64_t a) { return a >= 2; });
    if (spatial) return window(in[0], {x[2], x[3]}, {x[2], x[3]});
  }
  if (n.op == OpKind::Mul) return field_of_broadcast(g, n, in);
  return widest_of(in);
}

Field field_of_pool(const Node& n, const Dims& x, const Field& in) {
  if (n.op == OpKind::AdaptiveAvgPool) {
    const Hw out = std::get<attr::AdaptiveAvgPool>(n.attrs).output;
    // PyTorch's widest adaptive window spans ceil(in/out) + 1 pixels when out does not divide in.
    auto widest = [](int64_t i, int64_t o) { return i % o == 0 ? i / o : i / o + 2; };
    return window(in, {std::min(widest(x[2], out.h), x[2]), std::min(widest(x[3], out.w), x[3])},
                  {std::max<int64_t>(x[2] / out.h, 1), std::max<int64_t>(x[3] / out.w, 1)});
  }
  if (n.op == OpKind::GlobalAvgPool) return window(in, {x[2], x[3]}, {x[2], x[3]});
  const auto& a = std::get<attr::Pool>(n.attrs);
  return window(in, a.kernel, a.effective_stride(), a.dilation);
}

Field field_of(const Graph& g, const Node& n, const std::vector<Field>& in) {
  const Dims& x = g.shape(n.inputs[0]);
  switch (op_family(n.op)) {
    case OpFamily::Conv: {
      const auto& a = std::get<attr::Conv>(n.attrs);
      return window(in[0], a.kernel, a.stride, a.dilation);
    }
    case OpFamily::Pool:
      return field_of_pool(n, x, in[0]);
    case OpFamily::View:
      // Flattening a feature map makes each output element see the whole of it.
      return n.op == OpKind::Flatten && x.size() == 4 ? window(in[0], {x[2], x[3]}, {x[2], x[3]}) : in[0];
    case OpFamily::ChannelMul:
      // The scale is a per-channel broadcast (the SE gate): its global field adds no spatial extent.
      return in[0];
    case OpFamily::Add:
      return field_of_broadcast(g, n, in);
    case OpFamily::TensorOp:
      return field_of_tensor_op(g, n, x, in);
    case OpFamily::BatchNorm:
    case OpFamily::Lrn:
    case OpFamily::Activation:
    case OpFamily::Softmax:
    case OpFamily::Dropout:
    case OpFamily::Linear:
    case OpFamily::Concat:
    case OpFamily::ChannelPad:
    case OpFamily::ChannelAffine:
    case OpFamily::Constant:
      return widest_of(in);
  }
  throw Error(fmt::format("{}: op {} has no receptive-field rule", n.name, op_name(n.op)));
}

}  // namespace

NodeCost node_cost(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  std::vector<Dims> in;
  for (ValueId v : n.inputs) in.push_back(g.shape(v));
  const ops::Cost c = at_node(n.name, [&] {
    return ops::rules(n.op).cost(ops::OpContext{n.name, n.attrs, in}, g.shape(n.output));
  });
  return {c.macs, c.flops};
}

int64_t params_under(const Graph& g, const std::string& prefix) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    if (!starts_with_module(n.name, prefix)) continue;
    for (const ParamSpec& p : n.params)
      add_to(total, p.kind == ParamKind::Trainable ? numel(p.shape) : 0, "parameters");
  }
  return total;
}

int64_t macs_under(const Graph& g, const std::string& prefix) {
  int64_t total = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    if (starts_with_module(g.node(id).name, prefix)) add_to(total, node_cost(g, id).macs, "MACs");
  }
  return total;
}

std::string row_kind(const LayerRow& row) {
  std::string kind = row.op;
  for (const FoldedNode& f : row.folded) kind += "+" + f.op;
  return kind;
}

namespace {

// How many nodes, in order, the analysis covers: up to `until` and, in the layer and module views, the
// nodes that fold into its row (a convolution's batch norm and ReLU).
NodeId nodes_covered(const Graph& g, const AnalysisOptions& options) {
  const auto count = static_cast<NodeId>(g.nodes().size());
  if (options.until.empty()) return count;
  NodeId last = last_node_for(g, options.until);
  while (!options.all_nodes && last + 1 < count) {
    const Node& next = g.node(last + 1);
    const ValueId previous = g.node(last).output;
    if (!joins_previous_row(next.op) || next.inputs.size() != 1 || next.inputs[0] != previous ||
        g.value(previous).consumers.size() != 1) {
      break;
    }
    ++last;
  }
  return last + 1;
}

// One row per node: its own figures.
std::vector<LayerRow> node_rows(const Graph& g, NodeId count) {
  std::vector<Field> fields(g.values().size());
  std::vector<LayerRow> rows;
  for (NodeId id = 0; id < count; ++id) {
    const Node& n = g.node(id);
    std::vector<Field> in_fields;
    for (ValueId v : n.inputs) in_fields.push_back(fields[static_cast<std::size_t>(v)]);
    // A node without inputs (an ONNX constant) sees no pixel of the input: the field of one pixel, as the
    // input's own.
    const Field field = n.inputs.empty() ? Field{} : at_node(n.name, [&] { return field_of(g, n, in_fields); });
    fields[static_cast<std::size_t>(n.output)] = field;
    LayerRow& row = rows.emplace_back();
    row.name = n.name;
    row.op = op_name(n.op);
    const NodeCost cost = node_cost(g, id);
    row.macs = cost.macs;
    row.flops = cost.flops;
    at_node(n.name, [&] {
      for (const ParamSpec& p : n.params)
        add_to(p.kind == ParamKind::Trainable ? row.params : row.buffers, numel(p.shape), "parameters");
      row.activation_bytes = checked_mul(numel(g.shape(n.output)), kActivationBytes, "activation bytes");
    });
    if (!n.inputs.empty()) row.input = g.shape(n.inputs.front());
    row.output = g.shape(n.output);
    row.receptive_field = field.size;
    row.nodes.push_back(id);
  }
  return rows;
}

// The papers' layers: a node that joins the row before it (a batch norm after a convolution) when it is
// the only reader of that row's output.
std::vector<LayerRow> layer_rows(const Graph& g, const std::vector<LayerRow>& nodes) {
  std::vector<LayerRow> rows;
  std::unordered_map<ValueId, std::size_t> row_ending_in;  // value -> row whose output it is
  for (const LayerRow& node_row : nodes) {
    const Node& n = g.node(node_row.nodes.front());
    auto tail = n.inputs.size() == 1 ? row_ending_in.find(n.inputs[0]) : row_ending_in.end();
    std::size_t row_index = rows.size();
    if (joins_previous_row(n.op) && tail != row_ending_in.end() && g.value(n.inputs[0]).consumers.size() == 1) {
      row_index = tail->second;
      row_ending_in.erase(tail);
      LayerRow& row = rows[row_index];
      row.folded.push_back({n.name, node_row.op, node_row.params});
      row.params += node_row.params;
      row.buffers += node_row.buffers;
      row.macs += node_row.macs;
      row.flops += node_row.flops;
      row.output = node_row.output;
      row.activation_bytes = node_row.activation_bytes;
      row.receptive_field = node_row.receptive_field;
      row.nodes.push_back(node_row.nodes.front());
    } else {
      rows.push_back(node_row);
    }
    row_ending_in[n.output] = row_index;
  }
  return rows;
}

// "layer1.0.conv1" at depth 2 -> "layer1.0"; names with fewer parts are whole.
std::string module_at(const std::string& name, int depth) {
  std::size_t from = 0;
  for (int d = 0; d < depth; ++d) {
    const std::size_t dot = name.find('.', from);
    if (dot == std::string::npos) return name;
    if (d + 1 == depth) return name.substr(0, dot);
    from = dot + 1;
  }
  return name;
}

// The module tree to `depth`, in the order the nodes run: a row for each module (a run of consecutive
// nodes under one name prefix) at each level, summing its members. A member's memory counts only when
// it ends a layer row, so that the top level sums to the total whatever the depth.
std::vector<LayerRow> module_rows(const std::vector<LayerRow>& nodes, const std::vector<bool>& ends_layer_row,
                                  int depth) {
  std::vector<LayerRow> rows;
  std::vector<std::size_t> open;  // the open row of each level, outermost first
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const LayerRow& node = nodes[i];
    std::size_t levels = 0;  // of the tree this node lies in
    for (int level = 1; level <= depth; ++level) {
      const std::string module = module_at(node.name, level);
      levels = static_cast<std::size_t>(level);
      if (open.size() < levels || rows[open[levels - 1]].name != module) {
        open.resize(levels - 1);
        open.push_back(rows.size());
        LayerRow& row = rows.emplace_back();
        row.name = module;
        row.op = module == node.name ? node.op : "module";
        row.level = level;
        row.input = node.input;
      }
      if (module == node.name) break;  // a node is a leaf of the tree
    }
    open.resize(levels);
    for (std::size_t row_index : open) {
      LayerRow& row = rows[row_index];
      row.params += node.params;
      row.buffers += node.buffers;
      row.macs += node.macs;
      row.flops += node.flops;
      row.activation_bytes += ends_layer_row[i] ? node.activation_bytes : 0;
      row.output = node.output;
      row.receptive_field = node.receptive_field;
      row.nodes.push_back(node.nodes.front());
    }
  }
  return rows;
}

}  // namespace

Analysis analyze(const Graph& g, const AnalysisOptions& options) {
  if (options.depth_view && *options.depth_view < 1) {
    throw OptionError({"AnalysisOptions::depth_view"},
                      fmt::format("AnalysisOptions::depth_view must be a module depth of at least 1 (1 = stages, "
                                  "2 = blocks, 3 = layers), got {}",
                                  *options.depth_view));
  }
  if (options.depth_view && options.all_nodes) {
    throw OptionError({"AnalysisOptions::depth_view", "AnalysisOptions::all_nodes"},
                      "AnalysisOptions::depth_view and AnalysisOptions::all_nodes are two views of the rows; give one "
                      "of them");
  }
  if (g.inputs().empty()) throw Error(fmt::format("{}: the graph has no input to analyse", g.name()));
  Analysis result;
  result.model = g.name();
  const Dims& input = g.shape(g.inputs()[0]);
  result.batch = input.at(0);
  result.input.assign(input.begin() + 1, input.end());
  result.view = options.all_nodes ? RowView::Nodes : options.depth_view ? RowView::Modules : RowView::Layers;
  result.depth_view = options.depth_view.value_or(0);

  const NodeId count = nodes_covered(g, options);
  std::vector<LayerRow> nodes = node_rows(g, count);

  // The totals first, checked: every figure is non-negative, so no sum over a subset of the nodes (a
  // layer row, a module) can overflow once the totals did not.
  Totals& t = result.total;
  t.saved_bytes = checked_mul(numel(input), kActivationBytes, "training memory");
  for (const LayerRow& row : nodes) {
    at_node(row.name, [&] {
      add_to(t.params, row.params, "total parameters");
      add_to(t.buffers, row.buffers, "total buffers");
      add_to(t.macs, row.macs, "total MACs");
      add_to(t.flops, row.flops, "total FLOPs");
      add_to(t.activation_bytes, row.activation_bytes, "activation bytes");  // an upper bound, reset below
      const NodeId id = row.nodes.front();
      for (const ParamSpec& p : g.node(id).params) {
        add_to(p.kind == ParamKind::Trainable ? t.param_bytes : t.buffer_bytes,
               checked_mul(numel(p.shape), dtype_bytes(p.dtype), "parameter bytes"), "parameter bytes");
      }
      add_to(t.saved_bytes, saved_for_backward_bytes(g, id), "training memory");
    });
  }
  // Weights and buffers, a momentum tensor per weight (the fused update keeps no gradient tensors), and
  // what the nodes keep for backward.
  t.training_bytes = checked_add(
      t.saved_bytes, checked_add(t.buffer_bytes, checked_mul(2, t.param_bytes, "training memory"), "training memory"),
      "training memory");
  if (count > 0) t.peak_live_bytes = peak_live_bytes(g, count - 1);

  std::vector<LayerRow> layers = layer_rows(g, nodes);
  std::vector<bool> ends_layer_row(nodes.size(), false);
  t.activation_bytes = 0;  // a layer row's output is one node's: the sum over all nodes above bounds it
  for (const LayerRow& row : layers) {
    t.activation_bytes += row.activation_bytes;
    ends_layer_row[static_cast<std::size_t>(row.nodes.back())] = true;
  }

  switch (result.view) {
    case RowView::Nodes:
      result.layers = std::move(nodes);
      break;
    case RowView::Modules:
      result.layers = module_rows(nodes, ends_layer_row, *options.depth_view);
      break;
    case RowView::Layers:
      result.layers = std::move(layers);
      break;
  }
  return result;
}

}  // namespace cnnzoo
