// Export of the graph IR to ONNX opset 13: one ONNX node per IR node, named as it (none for an identity),
// and the parameters as initializers named by their state_dict keys.
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_set>
#include <variant>

#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "io/atomic_file.h"
#include "onnx/export_pool.h"
#include "onnx/export_proto.h"
#include "onnx/export_qdq.h"
#include "ops/family_table.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

using onnx_export::add_attribute;

constexpr int64_t kIrVersion = 7;  // the IR version that came with opset 13 (ONNX 1.8)

std::vector<int64_t> hw_list(Hw v) { return {v.h, v.w}; }

// ONNX pads: begin of each axis, then end of each axis.
std::vector<int64_t> pads(Hw begin, Hw end) { return {begin.h, begin.w, end.h, end.w}; }

class Exporter {
 public:
  Exporter(const Graph& graph, const Parameters& parameters, onnx::GraphProto& proto, const Quantization* quantization)
      : graph_(graph), parameters_(parameters), proto_(proto), is_output_(graph.values().size(), false) {
    for (const Value& v : graph.values()) names_.push_back(v.name);
    for (ValueId v : graph.outputs()) is_output_[static_cast<std::size_t>(v)] = true;
    if (quantization != nullptr) qdq_.emplace(proto, *quantization);
  }

  void run() {
    proto_.set_name(graph_.name());
    for (ValueId v : graph_.inputs()) onnx_export::fill_value_info(*proto_.add_input(), name(v), graph_.shape(v));
    for (const Node& node : graph_.nodes()) export_node(node);
    for (ValueId v : graph_.outputs()) onnx_export::fill_value_info(*proto_.add_output(), name(v), graph_.shape(v));
  }

 private:
  void export_node(const Node& node);
  void export_int8_layer(const Node& node);
  void export_pool(const Node& node);
  void export_view(const Node& node);
  void export_tensor_op(const Node& node);
  void export_reduce(const Node& node);
  void export_slice(const Node& node);
  void export_layer_norm(const Node& node);
  void export_pad(const Node& node);
  void export_resize(const Node& node);

  const std::string& name(ValueId v) const { return names_.at(static_cast<std::size_t>(v)); }
  const std::string& input(const Node& node, std::size_t i = 0) const { return name(node.inputs.at(i)); }
  const Dims& input_shape(const Node& node, std::size_t i = 0) const { return graph_.shape(node.inputs.at(i)); }
  std::vector<std::string> inputs(const Node& node) const {
    std::vector<std::string> out;
    for (ValueId v : node.inputs) out.push_back(name(v));
    return out;
  }

  onnx::NodeProto& emit(const Node& node, std::string_view op_type, const std::vector<std::string>& inputs) {
    onnx::NodeProto& n = *proto_.add_node();
    n.set_name(node.name);
    n.set_op_type(std::string(op_type));
    for (const std::string& in : inputs) n.add_input(in);
    n.add_output(name(node.output));
    return n;
  }

  // Identity at inference: the output takes the input's name, unless it is a graph output and must keep its own.
  void alias(const Node& node) {
    if (is_output_[static_cast<std::size_t>(node.output)]) {
      emit(node, "Identity", {input(node)});
    } else {
      names_[static_cast<std::size_t>(node.output)] = input(node);
    }
  }

  // Initializers are named "NODE.SUFFIX": a parameter's state_dict key, or a constant operand the IR keeps
  // as an attribute (Pad's pads, Reshape's shape).
  static std::string key(const Node& node, std::string_view suffix) { return fmt::format("{}.{}", node.name, suffix); }

  std::string parameter(const Node& node, std::string_view suffix) {
    const std::string k = key(node, suffix);
    onnx_export::fill_tensor(*proto_.add_initializer(), k, parameters_.at(k));
    return k;
  }

  std::string int64s(const Node& node, std::string_view suffix, std::span<const int64_t> values, const Dims& shape) {
    const std::string k = key(node, suffix);
    onnx_export::fill_int64s(*proto_.add_initializer(), k, values, shape);
    return k;
  }

  std::string float_scalar(const Node& node, std::string_view suffix, double value) {
    const std::string k = key(node, suffix);
    onnx_export::fill_float_scalar(*proto_.add_initializer(), k, static_cast<float>(value));
    return k;
  }

  // A float32 initializer NODE.SUFFIX of `shape` holding `values`.
  std::string floats(const Node& node, std::string_view suffix, const std::vector<double>& values, const Dims& shape) {
    const std::string k = key(node, suffix);
    const std::vector<float> data(values.begin(), values.end());
    onnx_export::fill_raw(*proto_.add_initializer(), k, onnx::TensorProto::FLOAT, shape, data.data(),
                          data.size() * sizeof(float));
    return k;
  }

  // One of the ONNX nodes an IR node is written as, before the one that carries its output: named NODE.STEP,
  // its output NODE.OUTPUT.
  onnx::NodeProto& emit_step(const Node& node, std::string_view step, std::string_view op_type,
                             const std::vector<std::string>& inputs, std::string_view output) {
    onnx::NodeProto& n = *proto_.add_node();
    n.set_name(fmt::format("{}.{}", node.name, step));
    n.set_op_type(std::string(op_type));
    for (const std::string& in : inputs) n.add_input(in);
    n.add_output(key(node, output));
    return n;
  }

  // `x` padded with zeros by `pads` (top, left, bottom, right) in a Pad node of its own, named NODE.pad; returns
  // the padded value's name.
  std::string zero_pad(const Node& node, const std::string& x, const std::vector<int64_t>& pads) {
    const int64_t p[] = {0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]};
    onnx::NodeProto& n = emit_step(node, "pad", "Pad", {x, int64s(node, "pads", p, {8})}, "padded");
    add_attribute(n, "mode", std::string("constant"));
    return n.output(0);
  }

  // Reshape to `shape`, given as an int64 initializer.
  void reshape(const Node& node, const Dims& shape) {
    emit(node, "Reshape", {input(node), int64s(node, "shape", shape, {static_cast<int64_t>(shape.size())})});
  }

  [[noreturn]] static void refuse(const Node& node, const std::string& why) {
    throw Error(fmt::format("{}: cannot export to ONNX: {}", node.name, why));
  }

  const Graph& graph_;
  const Parameters& parameters_;
  onnx::GraphProto& proto_;
  std::vector<std::string> names_;  // the ONNX name of each IR value
  std::vector<bool> is_output_;
  std::optional<onnx_export::QdqWriter> qdq_;  // int8: how quantized layers are written
  std::unordered_set<NodeId> folded_;          // int8: batch norms folded into the convolution before them
};

// An int8 convolution or linear layer in QDQ form (onnx/export_qdq.h): its input and weights quantized and
// dequantized, the bias in int32, a convolution's batch norm folded into it as the int8 engine folds it.
void Exporter::export_int8_layer(const Node& node) {
  const bool conv = node.op == OpKind::Conv;
  Tensor weight = parameters_.at(key(node, "weight"));
  const int64_t out = weight.shape().at(0);
  const bool has_bias = conv ? std::get<attr::Conv>(node.attrs).bias : std::get<attr::Linear>(node.attrs).bias;
  Tensor bias = has_bias ? parameters_.at(key(node, "bias")) : Tensor(Dims{out});
  std::string result = name(node.output);
  if (const auto bn = conv ? graph_.only_consumer(node.output, OpKind::BatchNorm) : std::nullopt) {
    const Node& b = graph_.node(*bn);
    fold_batch_norm(std::get<attr::BatchNorm>(b.attrs).eps, parameters_.at(key(b, "weight")),
                    parameters_.at(key(b, "bias")), parameters_.at(key(b, "running_mean")),
                    parameters_.at(key(b, "running_var")), weight, bias);
    folded_.insert(*bn);
    result = name(b.output);
  }
  float input_scale = 1;
  std::vector<float> weight_scales;
  const std::string x = qdq_->activation(input(node), graph_.value(node.inputs.at(0)).name, input_scale);
  const std::string w = qdq_->weight(key(node, "weight"), weight, weight_scales);
  const std::string b = qdq_->bias(key(node, "bias"), bias, input_scale, weight_scales);
  onnx::NodeProto& n = emit(node, conv ? "Conv" : "Gemm", {x, w, b});
  n.set_output(0, result);
  if (!conv) {
    add_attribute(n, "transB", int64_t{1});
    return;
  }
  const auto& a = std::get<attr::Conv>(node.attrs);
  add_attribute(n, "kernel_shape", hw_list(a.kernel));
  add_attribute(n, "strides", hw_list(a.stride));
  add_attribute(n, "pads", pads(a.pad, a.effective_pad_end()));
  add_attribute(n, "dilations", hw_list(a.dilation));
  add_attribute(n, "group", a.groups);
}

// One case per op family; a family added to OpFamily without one does not compile (-Werror=switch).
void Exporter::export_node(const Node& node) {
  if (qdq_ && (node.op == OpKind::Conv || node.op == OpKind::Linear)) return export_int8_layer(node);
  if (folded_.contains(static_cast<NodeId>(&node - graph_.nodes().data()))) return;  // in its convolution
  switch (op_family(node.op)) {
    case OpFamily::Conv: {
      const auto& a = std::get<attr::Conv>(node.attrs);
      std::vector<std::string> inputs{input(node), parameter(node, "weight")};
      if (a.bias) inputs.push_back(parameter(node, "bias"));
      onnx::NodeProto& n = emit(node, "Conv", inputs);
      add_attribute(n, "kernel_shape", hw_list(a.kernel));
      add_attribute(n, "strides", hw_list(a.stride));
      add_attribute(n, "pads", pads(a.pad, a.effective_pad_end()));
      add_attribute(n, "dilations", hw_list(a.dilation));
      add_attribute(n, "group", a.groups);
      return;
    }
    case OpFamily::Pool:
      return export_pool(node);
    case OpFamily::BatchNorm: {
      const auto& a = std::get<attr::BatchNorm>(node.attrs);
      onnx::NodeProto& n = emit(node, "BatchNormalization",
                                {input(node), parameter(node, "weight"), parameter(node, "bias"),
                                 parameter(node, "running_mean"), parameter(node, "running_var")});
      add_attribute(n, "epsilon", static_cast<float>(a.eps));
      // ONNX weighs the old statistics by momentum, PyTorch the batch's.
      add_attribute(n, "momentum", static_cast<float>(1.0 - a.momentum));
      return;
    }
    case OpFamily::Lrn: {
      const auto& a = std::get<attr::Lrn>(node.attrs);
      if (a.size % 2 == 0) {
        refuse(node,
               fmt::format("LRN of even size {}: ONNX centres an even window one channel later than PyTorch", a.size));
      }
      onnx::NodeProto& n = emit(node, "LRN", {input(node)});
      add_attribute(n, "size", a.size);
      add_attribute(n, "alpha", static_cast<float>(a.alpha));
      add_attribute(n, "beta", static_cast<float>(a.beta));
      add_attribute(n, "bias", static_cast<float>(a.k));
      return;
    }
    case OpFamily::Activation: {  // one to one, by the op's traits; ONNX has no scale but a Mul by a scalar
      if (node.op == OpKind::Scale) {
        emit(node, "Mul", {input(node), float_scalar(node, "factor", std::get<attr::Scale>(node.attrs).factor)});
        return;
      }
      const ops::OpTraits& traits = ops::traits(node.op);
      onnx::NodeProto& n = emit(node, traits.onnx_name, {input(node)});
      for (const ops::OnnxFloatAttribute& a : traits.onnx_attributes(node.attrs)) {
        add_attribute(n, std::string(a.name), static_cast<float>(a.value));
      }
      return;
    }
    case OpFamily::Dropout:
      return alias(node);
    case OpFamily::Linear: {
      const auto& a = std::get<attr::Linear>(node.attrs);
      std::vector<std::string> inputs{input(node), parameter(node, "weight")};
      if (a.bias) inputs.push_back(parameter(node, "bias"));
      add_attribute(emit(node, "Gemm", inputs), "transB", int64_t{1});
      return;
    }
    case OpFamily::View:
      return export_view(node);
    case OpFamily::Concat:
      add_attribute(emit(node, "Concat", inputs(node)), "axis", std::get<attr::Concat>(node.attrs).axis);
      return;
    case OpFamily::Add:
      emit(node, node.inputs.size() == 2 ? "Add" : "Sum", inputs(node));
      return;
    case OpFamily::ChannelMul:  // the scale is N x C x 1 x 1, which Mul broadcasts
      emit(node, "Mul", inputs(node));
      return;
    case OpFamily::ChannelPad: {
      const auto& a = std::get<attr::ChannelPad>(node.attrs);
      const int64_t p[] = {0, a.before, 0, 0, 0, a.after, 0, 0};
      add_attribute(emit(node, "Pad", {input(node), int64s(node, "pads", p, {8})}), "mode", std::string("constant"));
      return;
    }
    case OpFamily::ChannelAffine: {
      // x * NODE.scale + NODE.shift, each C x 1 x 1, which Mul and Add broadcast over N, H and W. (OpenCV 4.6 cannot
      // take a 1 x C x 1 x 1 constant there: it fails an assertion in shape_utils.hpp.)
      const auto& a = std::get<attr::ChannelAffine>(node.attrs);
      const Dims per_channel{static_cast<int64_t>(a.scale.size()), 1, 1};
      const onnx::NodeProto& mul =
          emit_step(node, "mul", "Mul", {input(node), floats(node, "scale", a.scale, per_channel)}, "scaled");
      emit(node, "Add", {mul.output(0), floats(node, "shift", a.shift, per_channel)});
      return;
    }
    case OpFamily::Softmax:
      add_attribute(emit(node, "Softmax", {input(node)}), "axis", std::get<attr::Softmax>(node.attrs).axis);
      return;
    case OpFamily::TensorOp:
      return export_tensor_op(node);
    case OpFamily::Constant:
      // The value is an initializer under the name of the node's output.
      onnx_export::fill_tensor(*proto_.add_initializer(), name(node.output), parameters_.at(key(node, "value")));
      return;
  }
  refuse(node, fmt::format("op {} has no ONNX mapping", op_name(node.op)));
}

static_assert(ops::family_size(OpFamily::Pool) == 4, "export_pool() tells apart 4 pooling ops");
void Exporter::export_pool(const Node& node) {
  const Dims& out = graph_.shape(node.output);
  if (node.op == OpKind::GlobalAvgPool) {
    emit(node, "GlobalAveragePool", {input(node)});
    return;
  }
  if (node.op == OpKind::AdaptiveAvgPool) {
    const Dims& in = input_shape(node);
    const Hw from{in[2], in[3]};
    const Hw to{out[2], out[3]};
    if (from == to) return alias(node);
    if (to == Hw{1}) {
      emit(node, "GlobalAveragePool", {input(node)});
      return;
    }
    const Hw k = onnx_export::adaptive_window(node.name, from, to);
    onnx::NodeProto& n = emit(node, "AveragePool", {input(node)});
    add_attribute(n, "kernel_shape", hw_list(k));
    add_attribute(n, "strides", hw_list(k));
    return;
  }
  const auto& a = std::get<attr::Pool>(node.attrs);
  const bool max = node.op == OpKind::MaxPool;
  onnx_export::PoolWindow w = onnx_export::pool_window(node.name, a, input_shape(node), out);
  std::string x = input(node);
  const bool padded = std::any_of(w.pads.begin(), w.pads.end(), [](int64_t p) { return p != 0; });
  if (!max && a.count_include_pad && padded) {
    // Zeros counted in the average are zeros padded in: an explicit Pad, then a pool without padding. The same
    // numbers, and runtimes that ignore count_include_pad=1 (OpenCV 4.6 divides by the inner pixels only) get them.
    x = zero_pad(node, x, w.pads);
    w.pads.assign(4, 0);
  }
  const bool dilated = a.dilation != Hw(1);
  if (dilated && !max) {
    throw Error(node.name + ": cannot export to ONNX: AveragePool has dilations only from opset 19 (this is 13)");
  }
  onnx::NodeProto& n = emit(node, max ? "MaxPool" : "AveragePool", {x});
  add_attribute(n, "kernel_shape", w.kernel);
  add_attribute(n, "strides", w.strides);
  add_attribute(n, "pads", w.pads);
  add_attribute(n, "ceil_mode", int64_t{w.ceil_mode});
  if (dilated) add_attribute(n, "dilations", w.dilations);
  if (!max) add_attribute(n, "count_include_pad", int64_t{a.count_include_pad});
}

void Exporter::export_view(const Node& node) {
  if (node.op == OpKind::Reshape) return reshape(node, std::get<attr::Reshape>(node.attrs).shape);
  // ONNX Flatten always makes a matrix; other outputs of ours are a reshape.
  const auto& a = std::get<attr::Flatten>(node.attrs);
  const Dims& out = graph_.shape(node.output);
  const Dims& in = input_shape(node);
  const auto axis = static_cast<std::ptrdiff_t>(a.axis);
  if (out == Dims{numel(Dims(in.begin(), in.begin() + axis)), numel(Dims(in.begin() + axis, in.end()))}) {
    add_attribute(emit(node, "Flatten", {input(node)}), "axis", a.axis);
    return;
  }
  reshape(node, out);
}

void Exporter::export_tensor_op(const Node& node) {
  const ops::OpTraits& traits = ops::traits(node.op);
  if (!traits.onnx_name.empty()) {  // elementwise, one to one: the same inputs, float attributes
    onnx::NodeProto& n = emit(node, traits.onnx_name, inputs(node));
    for (const ops::OnnxFloatAttribute& a : traits.onnx_attributes(node.attrs)) {
      add_attribute(n, std::string(a.name), static_cast<float>(a.value));
    }
    return;
  }
  if (node.op == OpKind::Mul || node.op == OpKind::MatMul) {
    emit(node, node.op == OpKind::Mul ? "Mul" : "MatMul", inputs(node));
  } else if (node.op == OpKind::Clip) {
    // An infinite bound is an absent input; a trailing absent input is left out.
    const auto& a = std::get<attr::Clip>(node.attrs);
    std::vector<std::string> inputs{input(node), std::isinf(a.min) ? "" : float_scalar(node, "min", a.min)};
    if (!std::isinf(a.max)) inputs.push_back(float_scalar(node, "max", a.max));
    if (inputs.back().empty()) inputs.pop_back();
    emit(node, "Clip", inputs);
  } else if (node.op == OpKind::Transpose) {
    add_attribute(emit(node, "Transpose", {input(node)}), "perm", std::get<attr::Transpose>(node.attrs).perm);
  } else if (node.op == OpKind::Gather) {
    const auto& a = std::get<attr::Gather>(node.attrs);
    add_attribute(emit(node, "Gather", {input(node), int64s(node, "indices", a.indices, a.indices_shape)}), "axis",
                  a.axis);
  } else if (std::holds_alternative<attr::Reduce>(node.attrs)) {
    export_reduce(node);
  } else if (node.op == OpKind::Slice) {
    export_slice(node);
  } else if (node.op == OpKind::LayerNorm) {
    export_layer_norm(node);
  } else if (node.op == OpKind::Pad) {
    export_pad(node);
  } else if (node.op == OpKind::Resize) {
    export_resize(node);
  } else {
    refuse(node, fmt::format("op {} has no ONNX mapping", op_name(node.op)));
  }
}

// Opset 13: the axes of ReduceSum are an input, of the others an attribute. No axes is every axis.
void Exporter::export_reduce(const Node& node) {
  static const std::map<OpKind, std::string_view> kOnnx{{OpKind::ReduceMean, "ReduceMean"},
                                                        {OpKind::ReduceSum, "ReduceSum"},
                                                        {OpKind::ReduceMax, "ReduceMax"},
                                                        {OpKind::ReduceMin, "ReduceMin"}};
  const auto& a = std::get<attr::Reduce>(node.attrs);
  const bool axes_input = node.op == OpKind::ReduceSum;
  std::vector<std::string> in{input(node)};
  if (axes_input && !a.axes.empty()) in.push_back(int64s(node, "axes", a.axes, {static_cast<int64_t>(a.axes.size())}));
  onnx::NodeProto& n = emit(node, kOnnx.at(node.op), in);
  if (!axes_input && !a.axes.empty()) add_attribute(n, "axes", a.axes);
  add_attribute(n, "keepdims", int64_t{a.keepdims});
}

// Starts, ends, axes and steps as initializers, one entry per dimension. ONNX reads a negative end as counted
// from the back, so "before the first element" (end -1 with a negative step) is written as -(size + 1).
void Exporter::export_slice(const Node& node) {
  const auto& a = std::get<attr::Slice>(node.attrs);
  const Dims& in = input_shape(node);
  std::vector<int64_t> ends = a.ends;
  std::vector<int64_t> axes;
  for (std::size_t d = 0; d < in.size(); ++d) {
    if (ends[d] < 0) ends[d] = -(in[d] + 1);
    axes.push_back(static_cast<int64_t>(d));
  }
  const Dims count{static_cast<int64_t>(in.size())};
  emit(node, "Slice",
       {input(node), int64s(node, "starts", a.starts, count), int64s(node, "ends", ends, count),
        int64s(node, "axes", axes, count), int64s(node, "steps", a.steps, count)});
}

// Pad (opset 13): pads an int64 input (every begin, then every end), the mode, and the value an input.
void Exporter::export_pad(const Node& node) {
  static const std::map<attr::Pad::Mode, std::string> kModes{
      {attr::Pad::Mode::Constant, "constant"}, {attr::Pad::Mode::Reflect, "reflect"}, {attr::Pad::Mode::Edge, "edge"}};
  const auto& a = std::get<attr::Pad>(node.attrs);
  std::vector<int64_t> pads = a.begin;
  pads.insert(pads.end(), a.end.begin(), a.end.end());
  std::vector<std::string> in{input(node), int64s(node, "pads", pads, {static_cast<int64_t>(pads.size())})};
  if (a.mode == attr::Pad::Mode::Constant && a.value != 0.0) in.push_back(float_scalar(node, "value", a.value));
  add_attribute(emit(node, "Pad", in), "mode", kModes.at(a.mode));
}

// Resize (opset 13): sizes where the scales are the output sizes over the input's (an import of sizes), else the
// scales, whose floor gives the sizes (an import of scales, exact in float32 as they came); roi for
// tf_crop_and_resize.
void Exporter::export_resize(const Node& node) {
  using R = attr::Resize;
  static const std::map<R::Mode, std::string> kModes{
      {R::Mode::Nearest, "nearest"}, {R::Mode::Linear, "linear"}, {R::Mode::Cubic, "cubic"}};
  static const std::map<R::Coordinates, std::string> kCoordinates{
      {R::Coordinates::HalfPixel, "half_pixel"},
      {R::Coordinates::PytorchHalfPixel, "pytorch_half_pixel"},
      {R::Coordinates::AlignCorners, "align_corners"},
      {R::Coordinates::Asymmetric, "asymmetric"},
      {R::Coordinates::TfHalfPixelForNn, "tf_half_pixel_for_nn"},
      {R::Coordinates::TfCropAndResize, "tf_crop_and_resize"}};
  static const std::map<R::Rounding, std::string> kRoundings{{R::Rounding::RoundPreferFloor, "round_prefer_floor"},
                                                             {R::Rounding::RoundPreferCeil, "round_prefer_ceil"},
                                                             {R::Rounding::Floor, "floor"},
                                                             {R::Rounding::Ceil, "ceil"}};
  const auto& a = std::get<R>(node.attrs);
  const Dims& in = input_shape(node);
  const Dims count{static_cast<int64_t>(in.size())};
  bool scales_are_sizes = true;
  for (std::size_t d = 0; d < in.size(); ++d) {
    scales_are_sizes = scales_are_sizes && a.scales[d] == static_cast<double>(a.sizes[d]) / static_cast<double>(in[d]);
  }
  const std::string roi = a.coordinates == R::Coordinates::TfCropAndResize
                              ? floats(node, "roi", a.roi, {static_cast<int64_t>(a.roi.size())})
                              : std::string();
  std::vector<std::string> inputs{input(node), roi};
  if (scales_are_sizes) {
    inputs.push_back("");
    inputs.push_back(int64s(node, "sizes", a.sizes, count));
  } else {
    inputs.push_back(floats(node, "scales", a.scales, count));
  }
  onnx::NodeProto& n = emit(node, "Resize", inputs);
  add_attribute(n, "mode", kModes.at(a.mode));
  add_attribute(n, "coordinate_transformation_mode", kCoordinates.at(a.coordinates));
  add_attribute(n, "nearest_mode", kRoundings.at(a.rounding));
  add_attribute(n, "cubic_coeff_a", static_cast<float>(a.cubic_coeff_a));
  add_attribute(n, "exclude_outside", int64_t{a.exclude_outside});
  add_attribute(n, "extrapolation_value", static_cast<float>(a.extrapolation_value));
}

// Opset 13 has no LayerNormalization (opset 17 does): it is written much as torch.onnx writes it there, the mean
// and the variance by ReduceMean, then (x - mean) / sqrt(variance + epsilon) * scale + bias; the square is a Mul
// (torch.onnx writes Pow by 2), which every runtime computes exactly.
void Exporter::export_layer_norm(const Node& node) {
  const auto& a = std::get<attr::LayerNorm>(node.attrs);
  const auto rank = static_cast<int64_t>(input_shape(node).size());
  std::vector<int64_t> axes;
  for (int64_t d = a.axis; d < rank; ++d) axes.push_back(d);
  auto mean_of = [&](std::string_view step, const std::string& x, std::string_view output) {
    onnx::NodeProto& n = emit_step(node, step, "ReduceMean", {x}, output);
    add_attribute(n, "axes", axes);
    return n.output(0);
  };
  const std::string mean = mean_of("mean", input(node), "mean");
  const std::string centred = emit_step(node, "centre", "Sub", {input(node), mean}, "centred").output(0);
  const std::string squared = emit_step(node, "square", "Mul", {centred, centred}, "squared").output(0);
  const std::string variance = mean_of("variance", squared, "variance");
  const std::string shifted =
      emit_step(node, "add_epsilon", "Add", {variance, float_scalar(node, "epsilon", a.epsilon)}, "var_eps").output(0);
  const std::string deviation = emit_step(node, "sqrt", "Sqrt", {shifted}, "std").output(0);
  const std::string normalized = emit_step(node, "divide", "Div", {centred, deviation}, "normalized").output(0);
  const std::vector<std::string> in = inputs(node);
  if (in.size() == 2) {
    emit(node, "Mul", {normalized, in[1]});
    return;
  }
  const std::string scaled = emit_step(node, "scale", "Mul", {normalized, in[1]}, "scaled").output(0);
  emit(node, "Add", {scaled, in[2]});
}

}  // namespace

std::string export_onnx_bytes(const Graph& graph, const Parameters& parameters, const Quantization* quantization) {
  require_fit(check_parameters(graph, parameters), fmt::format("export of {} to ONNX", graph.name()));
  if (quantization != nullptr) require_ranges(graph, quantization);
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("cnnzoo");
  model.set_producer_version(CNNZOO_VERSION);
  onnx::OperatorSetIdProto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxExportOpset);
  Exporter(graph, parameters, *model.mutable_graph(), quantization).run();

  const std::size_t size = model.ByteSizeLong();
  if (size > static_cast<std::size_t>(INT_MAX)) {
    throw Error(fmt::format("{}: the ONNX model would take {:.1f} GB, over protobuf's 2 GB limit", graph.name(),
                            static_cast<double>(size) / 1e9));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw Error(fmt::format("{}: ONNX serialisation failed", graph.name()));
  return bytes;
}

void export_onnx(const Graph& graph, const Parameters& parameters, const std::string& path,
                 const Quantization* quantization) {
  const std::string bytes = export_onnx_bytes(graph, parameters, quantization);
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, bytes.data(), bytes.size(), path); });
}

}  // namespace cnnzoo
