// The graph IR: values (tensors with shapes) and nodes (ops with typed attributes and parameters).
//
// Shapes are inferred the moment a node is added, so a mistake is reported at the node that makes it.
// Nodes are kept in insertion order, which is a topological order: every input exists before its use.
// Node names follow torchvision's module paths ("layer1.0.conv1"), and parameter names its state_dict
// keys ("layer1.0.conv1.weight"), so that torchvision's weights map one to one.
#pragma once

#include <algorithm>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cnnzoo/ops.h"
#include "cnnzoo/shape.h"

namespace cnnzoo {

using ValueId = int32_t;
using NodeId = int32_t;
inline constexpr NodeId kNoNode = -1;

enum class DType : uint8_t { F32, I64 };
int64_t dtype_bytes(DType dtype);

/// Trainable parameters are learned; buffers (BN running statistics) are state that is not.
enum class ParamKind : uint8_t { Trainable, Buffer };

struct ParamSpec {
  std::string name;  ///< full state_dict key: node name + "." + suffix
  Dims shape;
  ParamKind kind = ParamKind::Trainable;
  DType dtype = DType::F32;
};

struct Value {
  std::string name;
  Dims shape;
  NodeId producer = kNoNode;  ///< kNoNode for a graph input
  std::vector<NodeId> consumers;
};

struct Node {
  std::string name;
  OpKind op;
  Attrs attrs;
  std::vector<ValueId> inputs;
  ValueId output = -1;
  std::vector<ParamSpec> params;
};

class Graph {
 public:
  explicit Graph(std::string name = "graph") : name_(std::move(name)) {}

  /// Adds a graph input of the given shape (N, C, H, W for images).
  ValueId add_input(std::string name, Dims shape);

  /// Adds a node, infers its output shape and creates its parameters. Throws ShapeError naming the node
  /// when the inputs do not fit, GraphError for an unknown input or a name already taken.
  ValueId add_node(std::string name, OpKind op, Attrs attrs, std::vector<ValueId> inputs);

  void add_output(ValueId value);

  const std::string& name() const { return name_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Value>& values() const { return values_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  /// Whether `v` is one of the graph's outputs.
  bool is_output(ValueId v) const { return std::find(outputs_.begin(), outputs_.end(), v) != outputs_.end(); }
  const Node& node(NodeId id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  const Value& value(ValueId id) const { return values_.at(static_cast<std::size_t>(id)); }
  const Dims& shape(ValueId id) const { return value(id).shape; }

  /// The node of that exact name, if any.
  std::optional<NodeId> find_node(std::string_view name) const;
  /// The single reader of `v` if it is an `op` node, nothing else reads `v` and it is no graph output: a node
  /// that may be folded or fused into the one that produces `v`.
  std::optional<NodeId> only_consumer(ValueId v, OpKind op) const;
  bool has_node(std::string_view name) const { return find_node(name).has_value(); }

 private:
  std::string name_;
  std::vector<Node> nodes_;
  std::vector<Value> values_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::unordered_map<std::string, NodeId> node_by_name_;
};

/// Checks the invariants a graph must hold: every input defined before use, consumers consistent,
/// shapes equal to what the rules infer, parameter names unique, at least one output. Throws GraphError.
void verify(const Graph& graph);

/// Whether every sample of a batch is computed independently of the others at inference (batch norm
/// with running statistics, dropout the identity): one input, only the zoo's ops, none that joins,
/// flattens or normalises along the batch axis. Such a graph may run its batch in slices.
bool samples_independent(const Graph& graph);
/// The same graph for another batch size (its one input's first dimension); shapes re-inferred,
/// parameter names unchanged.
Graph with_batch(const Graph& graph, int64_t batch);

/// Whether the training engines can differentiate the op: every op of the zoo, not the general tensor
/// ops of imported graphs (mul, clip, matmul, reshape, transpose, gather, constant).
bool op_trains(OpKind op);
/// Throws Error naming the first node that cannot be trained: an op without a backward, or an add
/// whose inputs broadcast.
void require_trainable(const Graph& graph);

}  // namespace cnnzoo
