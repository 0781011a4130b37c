// Lowers graph nodes to plan steps. The compiler tracks where each value lives (its buffer and memory
// descriptor, whatever layout its producer chose) and inserts a reorder only where a consumer's
// primitive wants another layout. One lowering function per op family, in lower_*.cpp.
#pragma once

#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/onednn/plan.h"
#include "cnnzoo/buffer_sharing.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

/// Where a value lives once its producer is lowered.
struct ValueState {
  BufferId buffer = -1;
  memory::desc md;
};

/// Nodes that the inference plan runs inside a convolution: a batch norm folded into its weights,
/// a ReLU as an eltwise post-op, a residual sum as a sum post-op (with an optional ReLU after it).
struct ConvFusion {
  NodeId batch_norm = kNoNode;
  NodeId relu = kNoNode;
  NodeId add = kNoNode;
  ValueId sum_operand = -1;  ///< the add's other input, accumulated into the convolution's output
  NodeId relu_after_add = kNoNode;
  ValueId result = -1;  ///< the last value the fused convolution produces
};

struct Fusions {
  std::unordered_map<NodeId, ConvFusion> conv;  ///< by convolution node
  std::unordered_set<NodeId> batch_norm_relu;   ///< batch norms that apply the ReLU after them
  std::unordered_set<NodeId> absorbed;          ///< nodes lowered as part of another
};

/// Decides the inference fusions of a graph.
Fusions plan_inference_fusions(const Graph& graph);

/// What every lowering needs: where each value lives, parameters, reorders and steps.
class Lowering {
 public:
  /// `pass` says which ops are views of their input (dropout only at inference).
  Lowering(const Graph& graph, const Parameters& parameters, Plan& plan, Pass pass);
  virtual ~Lowering() = default;

  const Graph& graph() const { return graph_; }
  Plan& plan() { return plan_; }
  const dnnl::engine& engine() const { return plan_.engine(); }
  /// The data type of activations and weights in the heavy primitives (f32, or bf16 for inference).
  dt activation_type() const { return activation_type_; }
  void set_activation_type(dt type) { activation_type_ = type; }

  ValueState& state(ValueId v);
  void set_state(ValueId v, BufferId buffer, const memory::desc& md);
  /// The parameter `node.suffix`, checked against its ParamSpec shape; an Error names it when missing.
  const Tensor& param(const Node& node, std::string_view suffix) const;

  /// Value `v` in layout `wanted`: its own buffer when the layouts agree, else a reordered copy.
  BufferId input_as(ValueId v, const memory::desc& wanted, const std::string& label);
  /// Reorders `from` into a new buffer of layout `wanted` (one step).
  BufferId reorder(BufferId from, const memory::desc& wanted, const std::string& label);
  /// Reorders `from` into the existing buffer `to` (one step).
  void reorder_into(BufferId from, BufferId to, const std::string& label);
  /// `from` in layout `wanted`: itself when the layouts agree, else a reordered copy.
  BufferId as_layout(BufferId from, const memory::desc& wanted, const std::string& label);
  /// Copies plain weights (described by `plain`) into a persistent buffer of layout `wanted`, now.
  BufferId weights(const Tensor& data, const memory::desc& plain, const memory::desc& wanted, const std::string& label);
  /// Appends a primitive step.
  void step(const std::string& label, dnnl::primitive primitive, std::unordered_map<int, BufferId> args);
  /// Whether node `user` may write its output over the buffer of its input `v`: every other reader of
  /// that buffer (through views too) has run, and none of the values sharing it is a graph output.
  bool in_place_over(ValueId v, const Node& user) const;
  /// Whether the buffer of `v` may be overwritten by the step lowered for node `at` on behalf of its
  /// reader `user` (a fused sum): the same rule, every other reader coming before `at`.
  bool last_use(ValueId v, NodeId user, NodeId at) const;
  NodeId id_of(const Node& n) const { return static_cast<NodeId>(&n - graph_.nodes().data()); }

 private:
  const Graph& graph_;
  const Parameters& parameters_;
  Plan& plan_;
  std::vector<ValueState> states_;
  dnnl::stream setup_stream_;
  dt activation_type_ = dt::f32;
  Pass pass_;
};

/// The inference compiler: lowers every node, with the fusions of plan_inference_fusions().
class Compiler : public Lowering {
 public:
  Compiler(const Graph& graph, const Parameters& parameters, Plan& plan, Fusions fusions);

  /// Erases each node's parameters from `parameters` (the map the compiler reads) once the node is
  /// lowered, so that the plain weights and their reordered copies never all coexist.
  void release_parameters_after_use(Parameters& parameters) { releasable_ = &parameters; }

  /// Lowers every node, then makes the graph's outputs plain. `input_buffers` hold the graph's inputs,
  /// plain, in order. Returns the output buffers.
  std::vector<BufferId> compile(const std::vector<BufferId>& input_buffers);

  const Fusions& fusions() const { return fusions_; }

  int fused_batch_norms = 0, fused_relus = 0, fused_sums = 0;

 private:
  void lower(NodeId id);
  Fusions fusions_;
  Parameters* releasable_ = nullptr;
};

/// oneDNN dims of a shape.
memory::dims to_dims(const Dims& d);
/// The plain row-major descriptor of a shape (a, ab, abc, abcd, ...), f32 unless told.
memory::desc plain_md(const Dims& d, dt type = dt::f32);

// One lowering function per op family (lower_*.cpp).
void lower_conv(Compiler& compiler, const Node& n);
void lower_pool(Compiler& compiler, const Node& n);
void lower_batch_norm(Compiler& compiler, const Node& n);
void lower_lrn(Compiler& compiler, const Node& n);
void lower_eltwise(Compiler& compiler, const Node& n);  // relu, sigmoid
void lower_softmax(Compiler& compiler, const Node& n);
void lower_linear(Compiler& compiler, const Node& n);
void lower_flatten(Lowering& lowering, const Node& n);
void lower_concat(Lowering& lowering, const Node& n);
void lower_add(Lowering& lowering, const Node& n);
void lower_channel_mul(Compiler& compiler, const Node& n);
void lower_channel_pad(Lowering& lowering, const Node& n);
/// The general tensor ops of imported graphs (mul, clip, matmul, transpose, gather, a broadcast add):
/// their reference kernels on plain buffers.
void lower_plain(Lowering& lowering, const Node& n);
void lower_constant(Lowering& lowering, const Node& n);

}  // namespace cnnzoo::onednn
