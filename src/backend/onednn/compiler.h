// Lowers graph nodes to plan steps. The compiler tracks where each value lives (its buffer and memory
// descriptor, whatever layout its producer chose) and inserts a reorder only where a consumer's
// primitive wants another layout. One lowering function per op family, in lower_*.cpp.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/onednn/plan.h"
#include "cnnzoo/buffer_sharing.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

/// Where a value lives once its producer is lowered.
struct ValueState {
  BufferId buffer = -1;
  memory::desc md;
  float scale = 1.0f;  ///< an int8 value's real value is scale * stored; 1 for the float types
};

inline bool is_int8(dt type) { return type == dt::s8 || type == dt::u8; }
/// The same layout holding another data type of the same size class (an activation's blocked layout).
memory::desc with_type(const memory::desc& md, dt type);

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

/// A layer normalization of `x` over its dimensions from `axis` on, with an optional scale and bias (values shaped as
/// those dimensions).
struct LayerNormOf {
  ValueId x = -1;
  int64_t axis = -1;
  double epsilon = 0;
  std::optional<ValueId> scale{};
  std::optional<ValueId> bias{};
};

struct Fusions {
  std::unordered_map<NodeId, ConvFusion> conv;  ///< by convolution node
  std::unordered_set<NodeId> batch_norm_relu;   ///< batch norms that apply the ReLU after them
  std::unordered_set<NodeId> absorbed;          ///< nodes lowered as part of another
  /// GELU written out (x / sqrt 2, erf, + 1, times x, times 0.5): by its last node, the x it is of.
  std::unordered_map<NodeId, ValueId> gelu;
  /// Layer normalization written out (x - mean, squared, mean, + eps, sqrt, divided): by its last node (the Div).
  std::unordered_map<NodeId, LayerNormOf> layer_norm;
  /// A MatMul whose product only an Add of a bias over its columns reads (a dense layer as tf2onnx and torch.onnx
  /// write it): by the Add, the MatMul, run as one matmul with a bias.
  std::unordered_map<NodeId, NodeId> matmul_bias;
};

/// Decides the inference fusions of a graph; `parameters` hold the constants that patterns of imported graphs name.
Fusions plan_inference_fusions(const Graph& graph, const Parameters& parameters);
/// Adds GELU and layer normalization written out, as exporters write them before ONNX had the ops
/// (fusion_written_out.cpp).
void plan_written_out_fusions(const Graph& graph, const Parameters& parameters, Fusions& f);

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
  void set_state(ValueId v, BufferId buffer, const memory::desc& md, float scale = 1.0f);

  /// int8 inference: the calibrated ranges (none otherwise).
  void set_quantization(const Quantization* quantization) { quantization_ = quantization; }
  bool int8() const { return quantization_ != nullptr; }
  /// The calibrated range of `v`; an InvalidArgument naming it when the calibration lacks it.
  const ValueRange& range(ValueId v) const;
  /// The parameter `node.suffix`, checked against its ParamSpec shape; an Error names it when missing.
  const Tensor& param(const Node& node, std::string_view suffix) const;

  /// Value `v` in layout `wanted`: its own buffer when the layouts agree, else a reordered copy. An int8
  /// value wanted in a float type is dequantized; wanted in int8 it keeps its scale.
  BufferId input_as(ValueId v, const memory::desc& wanted, const std::string& label);
  /// Value `v` as int8 of layout and type `wanted` with scale `scale`: quantized, requantized or as it is.
  BufferId input_quantized(ValueId v, const memory::desc& wanted, float scale, const std::string& label);
  /// Reorders `from` into a new buffer of layout `wanted` (one step), multiplying by `scale`.
  BufferId reorder(BufferId from, const memory::desc& wanted, const std::string& label, float scale = 1.0f);
  /// Reorders `from` into the existing buffer `to` (one step), multiplying by `scale`.
  void reorder_into(BufferId from, BufferId to, const std::string& label, float scale = 1.0f);
  /// `from` in layout `wanted`: itself when the layouts agree, else a reordered copy.
  BufferId as_layout(BufferId from, const memory::desc& wanted, const std::string& label);
  /// Copies plain weights (described by `plain`) into a persistent buffer of layout `wanted`, now; int8
  /// weights are multiplied by `scales` on the way (oneDNN's output-scale `mask`: 0 one scale, else per
  /// output channel).
  BufferId weights(const Tensor& data, const memory::desc& plain, const memory::desc& wanted, const std::string& label,
                   const std::vector<float>& scales = {}, int mask = 0);
  /// The same, from bytes laid out as `plain` (a constant the plan already holds).
  BufferId weights(std::span<const std::byte> data, const memory::desc& plain, const memory::desc& wanted,
                   const std::string& label, const std::vector<float>& scales = {}, int mask = 0);
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
  const Quantization* quantization_ = nullptr;
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

  int fused_batch_norms = 0, fused_relus = 0, fused_sums = 0, int8_layers = 0;

  /// int8 inference: the int8 type and scale of the value `v` a convolution produces, if it should leave it in int8:
  /// some reader takes int8 and it is no graph output. A concatenation's input takes the concatenation's scale.
  std::optional<std::pair<dt, float>> int8_output(ValueId v) const;
  /// Whether node `n` takes int8 inputs as they are (else they are dequantized for it).
  bool takes_int8(const Node& n) const;

 private:
  void lower(NodeId id);
  void lower_family(const Node& n);
  /// A float32 copy of int8 value `v`, made once and kept for every reader that needs float32.
  ValueState dequantized(ValueId v);
  std::unordered_map<ValueId, ValueState> dequantized_;
  Fusions fusions_;
  Parameters* releasable_ = nullptr;
};

/// The values of `v` when the plan holds it as a constant (float32, plain, known at compile time), else null.
const float* constant_floats(Lowering& lowering, ValueId v);

/// `shape` with ones prepended up to `rank` (numpy's broadcasting aligns shapes at their last dimension).
Dims with_leading_ones(const Dims& shape, std::size_t rank);

/// oneDNN dims of a shape.
memory::dims to_dims(const Dims& d);
/// The plain row-major descriptor of a shape (a, ab, abc, abcd, ...), f32 unless told.
memory::desc plain_md(const Dims& d, dt type = dt::f32);

// One lowering function per op family (lower_*.cpp).
void lower_conv(Compiler& compiler, const Node& n);
// Parts of the convolution's lowering shared by float and int8 (lower_conv.cpp).
/// The fused ops of `f` as post-ops: a sum of the operand (read as `sum_type`, times `sum_scale`), a ReLU.
dnnl::post_ops conv_post_ops(Compiler& compiler, const ConvFusion& f, float sum_scale, dt sum_type);
/// Convolution `n` at inference for the given data types, every layout left to oneDNN; bias float32.
dnnl::convolution_forward::desc conv_inference_desc(const Compiler& compiler, const Node& n,
                                                    const memory::desc& w_plain, dt src, dt weights, dt dst);
/// The destination of fused convolution `n` whose sum post-op adds its operand, already there: the operand's
/// own buffer when this is its last use, else a copy; held as `residual_type` with `residual_scale`.
BufferId sum_destination(Compiler& compiler, const Node& n, const memory::desc& dst_md, dt residual_type,
                         float residual_scale);
/// The plain float32 weights of a convolution with `out` channels on input `x` (goihw when grouped).
memory::desc conv_weights_md(const attr::Conv& a, const Dims& x, int64_t out);
/// The int8 convolution (lower_int8.cpp), with the folded `weight` and `bias` (float32, plain).
void lower_conv_int8(Compiler& compiler, const Node& n, const Tensor& weight, const Tensor& bias,
                     const memory::desc& w_plain);
void lower_pool(Compiler& compiler, const Node& n);
void lower_batch_norm(Compiler& compiler, const Node& n);
void lower_lrn(Compiler& compiler, const Node& n);
void lower_eltwise(Compiler& compiler, const Node& n);  // relu, sigmoid
void lower_softmax(Compiler& compiler, const Node& n);
void lower_linear(Compiler& compiler, const Node& n);
void lower_linear_int8(Compiler& compiler, const Node& n, const Tensor& weight, const Tensor& bias);
void lower_flatten(Lowering& lowering, const Node& n);
void lower_concat(Lowering& lowering, const Node& n);
void lower_add(Lowering& lowering, const Node& n);
void lower_channel_mul(Compiler& compiler, const Node& n);
/// An imported graph's Add (broadcast), Sub, Mul and Div as oneDNN's binary, where one input has the output's shape
/// and the other broadcasts (the first of sub and div must be the full one): SiLU's x * sigmoid(x), a squeeze-and-
/// excitation gate, a bias, a layer norm's centring and scaling; Pow by a constant 0.5, 1, 2 or 3 as eltwise pow;
/// otherwise the reference kernel.
void lower_binary(Lowering& lowering, const Node& n);
/// An imported graph's MatMul as oneDNN's matmul: a constant second operand reordered once into the layout the
/// primitive prefers; batch dimensions broadcast as numpy's.
void lower_matmul(Lowering& lowering, const Node& n);
/// MatMul `n` and the Add `bias_add` of a bias after it as one matmul; the reference kernels when oneDNN's matmul does
/// not take the shapes.
void lower_matmul_with_bias(Lowering& lowering, const Node& n, const Node& bias_add);
/// Transpose and Slice (unit steps) as oneDNN reorders into or out of a strided view; ReduceMean and ReduceSum as its
/// reduction.
void lower_transpose(Lowering& lowering, const Node& n);
void lower_slice(Lowering& lowering, const Node& n);
void lower_reduce(Lowering& lowering, const Node& n);
/// Resize as oneDNN's resampling where they agree (linear with half-pixel coordinates; nearest by whole factors).
void lower_resize(Lowering& lowering, const Node& n);
/// An imported graph's Clip (MobileNetV2's ReLU6) as oneDNN's eltwise clip.
void lower_clip(Compiler& compiler, const Node& n);
/// An imported graph's layer_norm (ConvNeXt's) as oneDNN's layer normalization over the dimensions from its axis,
/// flattened into one, on plain rows.
void lower_layer_norm(Compiler& compiler, const Node& n);
/// Layer normalization `of` as the step of node `n` (the last node of a written-out one, or a LayerNorm).
void layer_norm_step(Compiler& compiler, const Node& n, const LayerNormOf& of);
/// An imported graph's function of one input as oneDNN's eltwise where it has one (sqrt, exp, tanh, abs, neg,
/// hardswish, and hardsigmoid as a linear map then a clip); otherwise (erf) the reference kernel.
void lower_function(Compiler& compiler, const Node& n);
/// The last node `n` of a GELU written out, as oneDNN's eltwise gelu_erf of `x`.
void lower_gelu(Compiler& compiler, const Node& n, ValueId x);
void lower_channel_pad(Lowering& lowering, const Node& n);
void lower_channel_affine(Lowering& lowering, const Node& n);
/// The general tensor ops of imported graphs (mul, clip, matmul, transpose, gather, a broadcast add):
/// their reference kernels on plain buffers.
void lower_plain(Lowering& lowering, const Node& n);
void lower_constant(Lowering& lowering, const Node& n);

}  // namespace cnnzoo::onednn
