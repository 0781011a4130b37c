// The state of one ONNX import: what each ONNX name stands for (a value of the IR graph being built, or
// a tensor known before any run), and the helpers every op converter uses.
#pragma once

#include <onnx/onnx_pb.h>

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cnnzoo/onnx.h"

namespace cnnzoo::onnx_import {

/// An ONNX name during the import: a dynamic IR value, or a constant known at import time.
struct Symbol {
  std::optional<ValueId> value;
  std::optional<Tensor> constant;
  /// Spatial zero padding (top, left, bottom, right) that a Pad put on `value`, not yet a node: a Conv or an
  /// AveragePool takes it over as its own padding (the pool's counted in its average); any other reader makes it
  /// a pad node of its own, named `pad_node` (Importer::value).
  std::optional<std::array<int64_t, 4>> zero_pad{};
  std::string pad_node{};
  Dims padded_shape{};  ///< the shape of `value` padded by `zero_pad`: the name's shape while the pad is pending
  /// A per-channel scale that a Mul put on `value`, not yet a node: an Add of one float per channel takes it over as
  /// one channel_affine map (how cnnzoo exports one); any other reader makes it a channel_affine node of its own,
  /// named `scale_node`.
  std::optional<attr::ChannelAffine> channel_scale{};
  std::string scale_node{};
  /// A graph input whose value was given before the run (OnnxImportOptions::input_values): `constant` holds it for
  /// an op that needs it at import, `value` is made a graph input when an op reads it as data.
  bool given_input = false;
};

/// TensorProto to Tensor: float and double as F32; int64 and int32 as I64. `what` names it in errors.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what);

class Importer {
 public:
  Importer(std::string source, const OnnxImportOptions& options) : source_(std::move(source)), options_(options) {}

  OnnxModel run(const onnx::ModelProto& model);

  // ---- for the op converters (import_*.cpp) ---------------------------------------------------------
  int64_t opset() const { return opset_; }
  const onnx::NodeProto& node() const { return *node_; }
  /// The node's name as its IR nodes and errors take it: its own, else its first output's (exporters may leave
  /// nodes unnamed).
  const std::string& node_name() const { return node_name_; }

  /// Throws Error "SOURCE: node 'NAME' (OP): MESSAGE".
  [[noreturn]] void fail(const std::string& message) const;
  /// "SOURCE: node 'NAME' (OP): MESSAGE".
  std::string at_node(const std::string& message) const;

  /// Number of inputs the node names (trailing empty names, which ONNX uses for "absent", dropped).
  std::size_t input_count() const;
  bool has_input(std::size_t i) const;
  /// The node's input `i` as an IR value; a constant input becomes a Constant node (float only).
  ValueId value(std::size_t i);
  /// The node's input `i` and the spatial zero padding a Pad left on it (a Pad before an AveragePool).
  std::pair<ValueId, std::optional<std::array<int64_t, 4>>> value_and_zero_pad(std::size_t i);
  /// Whether the node's input `i` carries a per-channel scale not yet added as a node (Symbol::channel_scale).
  bool has_channel_scale(std::size_t i) const;
  /// The node's input `i` before its pending per-channel scale, and that scale (has_channel_scale(i) must hold).
  std::pair<ValueId, attr::ChannelAffine> value_and_channel_scale(std::size_t i) const;
  /// The node's input `i`, which must be known at import time (a weight, a shape): a constant, or a graph input
  /// whose value was given, which the model then holds (OnnxModel::constant_inputs).
  const Tensor& constant(std::size_t i) const;
  /// Whether the node's input `i` is a constant of the graph, one the import may compute with (fold); a graph input
  /// whose float value was given (Symbol::given_input) is not: it is data, though constant() may take its value.
  bool is_constant(std::size_t i) const;
  /// Whether constant(i) has a value: a constant, or a graph input whose value was given.
  bool is_known(std::size_t i) const;
  const Dims& shape(std::size_t i) const;

  /// Attribute readers; the default applies when the node lacks it.
  int64_t int_attr(const std::string& name, int64_t fallback) const;
  double float_attr(const std::string& name, double fallback) const;
  std::string string_attr(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> ints_attr(const std::string& name, std::vector<int64_t> fallback = {}) const;
  const onnx::AttributeProto* attr(const std::string& name) const;
  /// Fails when the node has an attribute outside `known`, naming it and the supported ones.
  void accept_attrs(const std::set<std::string>& known) const;
  /// Fails when an output of the node after the first `count` (a mask, indices) is read by a node or is a graph
  /// output; one declared but never read is left alone.
  void expect_outputs(std::size_t count, const std::string& what) const;
  /// Whether output `i` of the node exists and is read by a node or is a graph output.
  bool output_read(std::size_t i) const;
  /// Before a constant of `shape` is folded (computed at import) in elements of `element_bytes`: fails,
  /// naming the size, the budget and DecodeBudgets::folded_bytes (an OptionError), when it would take more than
  /// OnnxImportOptions::budgets.folded_bytes (or its size overflows 64 bits). A few bytes of ONNX can
  /// ask for gigabytes: a Gather that repeats a weight's rows.
  void check_fold(const Dims& shape, int64_t element_bytes) const;

  /// Adds an IR node named after this ONNX node (suffixed for the helper nodes a converter adds).
  ValueId add(OpKind op, Attrs attrs, std::vector<ValueId> inputs, const std::string& suffix = "");
  /// Adds an IR node that owns parameters, and stores them: `params` by suffix ("weight", "bias").
  ValueId add_with_params(OpKind op, Attrs attrs, std::vector<ValueId> inputs, std::map<std::string, Tensor> params);
  /// A Constant node holding `tensor` (F32).
  ValueId constant_value(const Tensor& tensor, const std::string& suffix);

  /// Sets output `i` of the node.
  void set_output(ValueId v, std::size_t i = 0);
  void set_output(Tensor constant, std::size_t i = 0);
  /// Sets the node's output to `v` padded spatially with zeros by `pads` (top, left, bottom, right), which the
  /// AveragePool that reads it takes over.
  void set_zero_padded_output(ValueId v, const std::array<int64_t, 4>& pads);
  /// Sets the node's output to `v` times the per-channel `scale`, left pending for an Add to take over.
  void set_channel_scaled_output(ValueId v, std::vector<double> scale);

  const Graph& graph() const { return model_.graph; }

 private:
  Symbol& symbol(const std::string& name);
  const Symbol& symbol(const std::string& name) const;
  const std::string& input_name(std::size_t i) const;
  std::string unique_name(std::string base);
  /// The channel_affine node of a pending per-channel scale, added now; `s` then holds its output.
  ValueId add_pending_scale(Symbol& s);
  ValueId add_pending_pad(Symbol& s);
  void refuse_quantized(const onnx::GraphProto& g) const;
  void add_graph_inputs(const onnx::GraphProto& g);
  /// The symbol of graph input `in`, whose value was given: `value` checked against its declared type (and made
  /// int64 for an integer input). `what` names it in errors.
  Symbol given_input_symbol(const onnx::ValueInfoProto& in, const Tensor& value, const std::string& what) const;
  /// Fails, naming `what`, for a dimension below 1 or more elements than a float32 input of 16 GiB.
  void check_input_shape(const Dims& shape, const std::string& what) const;
  void convert(const onnx::NodeProto& n);
  void add_graph_outputs(const onnx::GraphProto& g);

  std::string source_;
  OnnxImportOptions options_;
  OnnxModel model_;
  int64_t opset_ = 0;
  const onnx::NodeProto* node_ = nullptr;
  std::string node_name_;
  std::map<std::string, Symbol> symbols_;
  std::set<std::string> names_taken_;
  std::set<std::string> read_names_;  ///< every name a node reads or the graph outputs
  mutable std::set<std::string>
      constant_inputs_;  ///< given graph inputs that constant() took (OnnxModel::constant_inputs)
};

/// Converts the current node of `im`; one function per ONNX op, found by op type.
using Converter = std::function<void(Importer& im)>;
/// The converters of import_nn.cpp, import_tensor_ops.cpp, import_math_ops.cpp, import_layout_ops.cpp and
/// import_resize.cpp, by ONNX op type.
const std::map<std::string, Converter>& converters();
void add_nn_converters(std::map<std::string, Converter>& table);
void add_tensor_converters(std::map<std::string, Converter>& table);
void add_math_converters(std::map<std::string, Converter>& table);
void add_layout_converters(std::map<std::string, Converter>& table);
void add_resize_converters(std::map<std::string, Converter>& table);

/// The bytes of the file at `path`; an Error naming it when it cannot be opened.
std::string read_model_file(const std::string& path);

/// Resolves an axis that may be negative against a rank; fails through `im` when out of range.
int64_t normalize_axis(const Importer& im, int64_t axis, std::size_t rank);

}  // namespace cnnzoo::onnx_import
