// Per-layer and total figures of a graph: output shape, activation memory, parameters, multiply-adds,
// FLOPs and receptive field, counted as the lecture, the papers and torchvision count them.
//
// Rows are layers as the papers' tables show them: a convolution or linear layer together with the
// batch norm, activation, LRN and dropout that follow it is one row (the followers are listed in
// `folded`); pools, concat, add and flatten are rows of their own. Two other views: one row per IR node
// (`all_nodes`), or the module tree to a depth (`depth_view`: 1 = stages such as layer1, 2 = blocks such
// as layer1.0, 3 = layers), as torchinfo's. Totals do not depend on the view. docs/counting.md gives the
// rule of every op.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo {

/// A node counted in a layer row after the node that starts it (a batch norm or ReLU after a convolution).
struct FoldedNode {
  std::string name;  ///< "layer1.0.bn1"
  std::string op;    ///< "batchnorm"
  int64_t params = 0;
};

struct LayerRow {
  std::string name;                  ///< the name of the node that starts the row ("layer1.0.conv1"), or the module
  std::string op;                    ///< that node's op: "conv", "maxpool", "linear", "concat", "add", ...; "module"
  Dims output;                       ///< shape of the row's output (batch included)
  std::optional<Dims> input;         ///< shape of the row's first input (batch included); none for a constant
  std::vector<FoldedNode> folded{};  ///< the nodes after the first, in a layer row
  int level = 0;                     ///< depth in the module tree (1 = top level) in the depth view; 0 otherwise
  int64_t params = 0;                ///< trainable parameters
  int64_t buffers = 0;               ///< non-trainable state (BN running statistics), counted apart
  int64_t macs = 0;                  ///< multiply-adds of convolutions and linear layers
  int64_t flops = 0;                 ///< 2 x MACs plus the counted work of the other ops
  int64_t activation_bytes = 0;      ///< bytes of the row's output, fp32
  Hw receptive_field;                ///< input pixels one output pixel sees, along the deepest path
  std::vector<NodeId> nodes;         ///< the IR nodes in the row, in order
};

struct Totals {
  int64_t params = 0;
  int64_t buffers = 0;
  int64_t macs = 0;
  int64_t flops = 0;
  /// Sum of the outputs of the layer rows (the papers' rows, as the lecture sums them), whatever the view:
  /// a node folded into a row (a convolution's output that its batch norm reads) is not counted.
  int64_t activation_bytes = 0;
  int64_t param_bytes = 0;  ///< trainable parameters, fp32
  int64_t buffer_bytes = 0;
  /// Estimate of the memory one training step on this batch needs: weights and buffers, SGD momentum
  /// (one tensor per parameter; the fused update keeps no gradient tensors), and saved_bytes.
  int64_t training_bytes = 0;
  /// What a training step keeps for backward: the input and the nodes' outputs, except those computed in
  /// place or recomputed (see training_storage.h).
  int64_t saved_bytes = 0;
  /// The largest set of node outputs alive at once when the nodes run in order (the input included):
  /// the activation memory an inference plan that reuses buffers needs, before any in-place work.
  int64_t peak_live_bytes = 0;
};

/// Which rows an analysis has.
enum class RowView { Layers, Nodes, Modules };

struct Analysis {
  std::string model;
  RowView view = RowView::Layers;
  int depth_view = 0;  ///< the module depth of RowView::Modules, 0 in the other views
  Dims input;          ///< C, H, W (the graph's first input without its batch)
  int64_t batch = 1;
  std::vector<LayerRow> layers;
  Totals total;
};

struct AnalysisOptions {
  /// Analyse up to and including this row, node or module prefix ("maxpool2", "layer2",
  /// "inception3a.branch2"); empty = the whole graph. An unknown name is an UnknownNameError.
  std::string until{};
  /// One row per IR node instead of the papers' layers.
  bool all_nodes = false;
  /// The module tree to this depth instead (node names split at '.'; a module's figures are the sums of
  /// its members'). Exclusive with all_nodes; below 1 is an InvalidArgument.
  std::optional<int> depth_view{};
};

/// "conv+batchnorm+relu": the op of a row and of the nodes folded into it.
std::string row_kind(const LayerRow& row);

Analysis analyze(const Graph& graph, const AnalysisOptions& options = {});

/// MACs and FLOPs of one node.
struct NodeCost {
  int64_t macs = 0;
  int64_t flops = 0;
};
NodeCost node_cost(const Graph& graph, NodeId node);

/// Sum of trainable parameters of every node whose name is `prefix` or starts with `prefix + "."`.
int64_t params_under(const Graph& graph, const std::string& prefix);
/// Sum of MACs of those nodes (batch as built).
int64_t macs_under(const Graph& graph, const std::string& prefix);

}  // namespace cnnzoo
