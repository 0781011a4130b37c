// The import driver: parses the file, checks the opset, turns graph inputs and initializers into
// symbols, converts each node in order and collects the outputs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "analysis/units.h"
#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "onnx/import_state.h"
#include "onnx/validate_graph.h"

namespace cnnzoo {
namespace onnx_import {
namespace {

// Files of opsets before 7 load when their ops are as in later ones; the legacy attributes of those
// opsets (consumed_inputs, broadcast axis) are refused by the converters.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 18;
constexpr int64_t kMaxInputElements = int64_t{1} << 32;  // 16 GiB of float32: more is a corrupted shape

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string element_type_name(int32_t type) {
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
}

// The integer types of shapes, axes and indices. The narrower ones are refused: held as int64, their arithmetic
// would not wrap as theirs does (uint8 200 + 100 is 44).
bool is_index_type(int32_t type) { return type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32; }

}  // namespace

std::string Importer::at_node(const std::string& message) const {
  return fmt::format("{}: node '{}' ({}): {}", source_, node_name_, node_->op_type(), message);
}

void Importer::fail(const std::string& message) const { throw Error(at_node(message)); }

Symbol& Importer::symbol(const std::string& name) {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) fail(fmt::format("input '{}' is not defined before this node", name));
  return it->second;
}

const Symbol& Importer::symbol(const std::string& name) const {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) fail(fmt::format("input '{}' is not defined before this node", name));
  return it->second;
}

std::size_t Importer::input_count() const {
  auto n = static_cast<std::size_t>(node_->input_size());
  while (n > 0 && node_->input(static_cast<int>(n - 1)).empty()) --n;
  return n;
}

bool Importer::has_input(std::size_t i) const {
  return i < input_count() && !node_->input(static_cast<int>(i)).empty();
}

const std::string& Importer::input_name(std::size_t i) const {
  if (i >= static_cast<std::size_t>(node_->input_size()) || node_->input(static_cast<int>(i)).empty()) {
    fail(fmt::format("needs input {}, which is missing", i + 1));
  }
  return node_->input(static_cast<int>(i));
}

bool Importer::is_constant(std::size_t i) const {
  const Symbol& s = symbol(input_name(i));
  // A given integer input is never data (data is float32): it is folded like any constant.
  return s.constant.has_value() && (!s.given_input || s.constant->dtype() == DType::I64);
}

bool Importer::is_known(std::size_t i) const { return symbol(input_name(i)).constant.has_value(); }

const Tensor& Importer::constant(std::size_t i) const {
  const std::string& name = input_name(i);
  const Symbol& s = symbol(name);
  if (!s.constant) {
    const bool graph_input = s.value && model_.graph.value(*s.value).producer == kNoNode;
    fail(graph_input ? fmt::format("input {} ('{}') must be known when the model is loaded (a weight, a shape), but "
                                   "it is a graph input without a value; give it one (cnnzoo run --input {}=FILE.npy)",
                                   i + 1, name, name)
                     : fmt::format("input {} ('{}') must be known when the model is loaded (an initializer or a "
                                   "constant), but it is computed by the graph",
                                   i + 1, name));
  }
  if (s.given_input) constant_inputs_.insert(name);
  return *s.constant;
}

ValueId Importer::value(std::size_t i) {
  const std::string& name = input_name(i);
  Symbol& s = symbol(name);
  if (s.zero_pad) return add_pending_pad(s);
  if (s.channel_scale) return add_pending_scale(s);
  if (!s.value) {
    if (s.constant->dtype() != DType::F32) {
      fail(fmt::format("input {} ('{}') is an int64 tensor used as data; cnnzoo runs float32 data", i + 1, name));
    }
    if (s.given_input) {
      check_input_shape(s.constant->shape(), fmt::format("{}: input '{}'", source_, name));
      s.value = model_.graph.add_input(name, s.constant->shape());
    } else {
      s.value = constant_value(*s.constant, fmt::format("const{}", i));
    }
  }
  return *s.value;
}

std::pair<ValueId, std::optional<std::array<int64_t, 4>>> Importer::value_and_zero_pad(std::size_t i) {
  Symbol& s = symbol(input_name(i));
  if (!s.zero_pad) return {value(i), std::nullopt};
  return {*s.value, s.zero_pad};
}

bool Importer::has_channel_scale(std::size_t i) const { return symbol(input_name(i)).channel_scale.has_value(); }

std::pair<ValueId, attr::ChannelAffine> Importer::value_and_channel_scale(std::size_t i) const {
  const Symbol& s = symbol(input_name(i));
  return {*s.value, *s.channel_scale};
}

ValueId Importer::add_pending_pad(Symbol& s) {
  const auto& p = *s.zero_pad;
  const attr::Pad a{.begin = {0, 0, p[0], p[1]}, .end = {0, 0, p[2], p[3]}, .mode = attr::Pad::Mode::Constant};
  s.value = model_.graph.add_node(s.pad_node, OpKind::Pad, a, {*s.value});
  s.zero_pad.reset();
  return *s.value;
}

ValueId Importer::add_pending_scale(Symbol& s) {
  s.value = model_.graph.add_node(s.scale_node, OpKind::ChannelAffine, *s.channel_scale, {*s.value});
  s.channel_scale.reset();
  return *s.value;
}

const Dims& Importer::shape(std::size_t i) const {
  const Symbol& s = symbol(input_name(i));
  if (s.zero_pad) return s.padded_shape;
  return s.value ? model_.graph.shape(*s.value) : s.constant->shape();
}

const onnx::AttributeProto* Importer::attr(const std::string& name) const {
  for (const onnx::AttributeProto& a : node_->attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t Importer::int_attr(const std::string& name, int64_t fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? a->i() : fallback;
}

double Importer::float_attr(const std::string& name, double fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? static_cast<double>(a->f()) : fallback;
}

std::string Importer::string_attr(const std::string& name, const std::string& fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> Importer::ints_attr(const std::string& name, std::vector<int64_t> fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

void Importer::accept_attrs(const std::set<std::string>& known) const {
  for (const onnx::AttributeProto& a : node_->attribute()) {
    if (!known.contains(a.name())) {
      fail(fmt::format("attribute '{}' is not supported (supported: {})", a.name(),
                       known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
    }
  }
}

bool Importer::output_read(std::size_t i) const {
  const int k = static_cast<int>(i);
  return k < node_->output_size() && !node_->output(k).empty() && read_names_.contains(node_->output(k));
}

void Importer::expect_outputs(std::size_t count, const std::string& what) const {
  for (int i = static_cast<int>(count); i < node_->output_size(); ++i) {
    // Older exporters (Caffe2's) declare a Dropout's mask that nothing reads: a name without readers is no output.
    if (output_read(static_cast<std::size_t>(i))) {
      fail(fmt::format("output {} ({}) is not supported, and '{}' is read", i + 1, what, node_->output(i)));
    }
  }
}

void Importer::check_fold(const Dims& shape, int64_t element_bytes) const {
  // An overflow is named with this node by convert().
  const int64_t elements = numel(shape);
  const int64_t bytes = checked_mul(elements, element_bytes, "bytes of the folded constant");
  const int64_t budget = options_.budgets.folded_bytes;
  if (bytes <= budget) return;
  constexpr const char* kBudget = "DecodeBudgets::folded_bytes";
  throw OptionErrorOf<Error>(
      {kBudget}, at_node(fmt::format("folding it at import makes a constant of {} = {} elements of {} bytes = {} bytes "
                                     "({}), more than the budget of {}; {} raises it",
                                     to_string(shape), with_commas(elements), element_bytes, with_commas(bytes),
                                     bytes_text(bytes), budget_text(budget), kBudget)));
}

std::string Importer::unique_name(std::string base) {
  if (base.empty()) base = "node";
  std::string name = base;
  for (int k = 1; names_taken_.contains(name); ++k) name = fmt::format("{}_{}", base, k);
  names_taken_.insert(name);
  return name;
}

ValueId Importer::add(OpKind op, Attrs attrs, std::vector<ValueId> inputs, const std::string& suffix) {
  const std::string name = unique_name(suffix.empty() ? node_name_ : node_name_ + "." + suffix);
  try {
    return model_.graph.add_node(name, op, std::move(attrs), std::move(inputs));
  } catch (const ShapeError& e) {
    // The rule's message starts with the IR node's name, which is this node's: say it once.
    const std::string message = e.what();
    fail(message.starts_with(name + ": ") ? message.substr(name.size() + 2) : message);
  }
}

ValueId Importer::add_with_params(OpKind op, Attrs attrs, std::vector<ValueId> inputs,
                                  std::map<std::string, Tensor> params) {
  const ValueId v = add(op, std::move(attrs), std::move(inputs));
  const Node& n = model_.graph.node(model_.graph.value(v).producer);
  for (const ParamSpec& spec : n.params) {
    const std::string suffix = spec.name.substr(n.name.size() + 1);
    auto it = params.find(suffix);
    if (it == params.end()) fail(fmt::format("has no tensor for its parameter '{}'", suffix));
    if (it->second.dtype() != spec.dtype) {
      fail(fmt::format("{} holds {} values; expected {}", suffix, dtype_name(it->second.dtype()),
                       dtype_name(spec.dtype)));
    }
    if (it->second.shape() != spec.shape) {
      fail(fmt::format("{} has shape {}, expected {}", suffix, to_string(it->second.shape()), to_string(spec.shape)));
    }
    model_.parameters[spec.name] = std::move(it->second);
  }
  return v;
}

ValueId Importer::constant_value(const Tensor& tensor, const std::string& suffix) {
  const ValueId v = add(OpKind::Constant, attr::Constant{tensor.shape()}, {}, suffix);
  const Node& n = model_.graph.node(model_.graph.value(v).producer);
  model_.parameters[n.params.at(0).name] = tensor;
  return v;
}

void Importer::set_output(ValueId v, std::size_t i) {
  if (static_cast<int>(i) >= node_->output_size()) return;
  symbols_[node_->output(static_cast<int>(i))] = Symbol{v, std::nullopt};
}

void Importer::set_zero_padded_output(ValueId v, const std::array<int64_t, 4>& pads) {
  Dims padded = model_.graph.shape(v);
  padded[2] += pads[0] + pads[2];  // the Pad's converter checked a rank of 4 and the pads' range
  padded[3] += pads[1] + pads[3];
  symbols_[node_->output(0)] = Symbol{.value = v,
                                      .constant = std::nullopt,
                                      .zero_pad = pads,
                                      .pad_node = unique_name(node_name_),
                                      .padded_shape = std::move(padded)};
}

void Importer::set_channel_scaled_output(ValueId v, std::vector<double> scale) {
  const std::size_t channels = scale.size();
  symbols_[node_->output(0)] =
      Symbol{.value = v,
             .constant = std::nullopt,
             .channel_scale = attr::ChannelAffine{std::move(scale), std::vector(channels, 0.0)},
             .scale_node = unique_name(node_name_)};
}

void Importer::set_output(Tensor constant, std::size_t i) {
  if (static_cast<int>(i) >= node_->output_size()) return;
  symbols_[node_->output(static_cast<int>(i))] = Symbol{std::nullopt, std::move(constant)};
}

// A quantized model (QDQ form, or QLinear operators) would fail on its int8 initializers with a message about
// data types; this says what the file is and what to do instead.
void Importer::refuse_quantized(const onnx::GraphProto& g) const {
  for (const onnx::NodeProto& n : g.node()) {
    const std::string& op = n.op_type();
    if (op == "QuantizeLinear" || op == "DequantizeLinear" || op.starts_with("QLinear")) {
      throw Error(
          fmt::format("{}: node '{}' ({}): a quantized (int8) ONNX model is not imported; run the float32 "
                      "model, or the zoo model with --precision int8",
                      source_, n.name(), op));
    }
  }
}

void Importer::add_graph_inputs(const onnx::GraphProto& g) {
  for (const auto& given : options_.input_values) {
    const std::string& name = given.first;  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(g.input().begin(), g.input().end(),
                     [&](const onnx::ValueInfoProto& in) { return in.name() == name; })) {
      throw Error(fmt::format("{}: a value is given for '{}', which is not an input of the graph", source_, name));
    }
  }
  std::set<std::string> initializers;
  for (const onnx::TensorProto& t : g.initializer()) {
    // An initializer listed as a graph input is that input's default: a value given for the input replaces it.
    if (options_.input_values.contains(t.name())) continue;
    initializers.insert(t.name());
    symbols_[t.name()] =
        Symbol{std::nullopt, tensor_from_proto(t, fmt::format("{}: initializer '{}'", source_, t.name()))};
  }
  for (const onnx::ValueInfoProto& in : g.input()) {
    if (initializers.contains(in.name())) continue;  // older exporters list initializers as inputs too
    const std::string what = fmt::format("{}: input '{}'", source_, in.name());
    if (!in.type().has_tensor_type()) throw Error(what + ": only tensor inputs are supported");
    const auto given = options_.input_values.find(in.name());
    if (given != options_.input_values.end()) {
      names_taken_.insert(in.name());
      symbols_[in.name()] = given_input_symbol(in, given->second, what);
      continue;
    }
    const onnx::TypeProto_Tensor& type = in.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT) {
      throw Error(
          fmt::format("{}: element type {} is not supported (float32 is; an int64 or int32 input is when its "
                      "value is given before the run: cnnzoo run --input {}=FILE.npy)",
                      what, element_type_name(type.elem_type()), in.name()));
    }
    Dims shape;
    auto given_shape = options_.input_shapes.find(in.name());
    if (given_shape != options_.input_shapes.end()) {
      shape = given_shape->second;
    } else {
      if (!type.has_shape()) throw Error(what + ": the file gives no shape; pass one");
      for (const auto& d : type.shape().dim())
        shape.push_back(d.has_dim_value() ? d.dim_value() : options_.symbolic_dim);
    }
    check_input_shape(shape, what);
    names_taken_.insert(in.name());
    symbols_[in.name()] = Symbol{model_.graph.add_input(in.name(), shape), std::nullopt};
  }
}

Symbol Importer::given_input_symbol(const onnx::ValueInfoProto& in, const Tensor& value,
                                    const std::string& what) const {
  const int32_t type = in.type().tensor_type().elem_type();
  const auto shape_given = options_.input_shapes.find(in.name());
  if (shape_given != options_.input_shapes.end() && shape_given->second != value.shape()) {
    throw Error(fmt::format("{}: its value has shape {}, its given shape is {}", what, to_string(value.shape()),
                            to_string(shape_given->second)));
  }
  Symbol s{.value = std::nullopt, .constant = value, .given_input = true};
  if (type == onnx::TensorProto::FLOAT) {
    if (value.dtype() != DType::F32) {
      throw Error(fmt::format("{}: is float32, its value is int64; give float32 values", what));
    }
    return s;
  }
  if (!is_index_type(type)) {
    throw Error(
        fmt::format("{}: element type {} is not supported (float32 is, and int64 and int32 where a value is "
                    "needed before the run)",
                    what, element_type_name(type)));
  }
  if (value.dtype() == DType::I64) return s;
  // An integer input read from a float32 file (.npy integers arrive as float32): exact integers of int64's range.
  Tensor ints(value.shape(), DType::I64);
  for (std::size_t k = 0; k < ints.i64().size(); ++k) {
    const float v = value.f32()[k];
    if (!(std::trunc(v) == v) || std::abs(v) > 9.2e18f) {
      throw Error(fmt::format("{}: is {}, but element {} of its value is {}, not an integer of int64", what,
                              element_type_name(type), k, v));
    }
    ints.i64()[k] = static_cast<int64_t>(v);
  }
  s.constant = std::move(ints);
  return s;
}

void Importer::check_input_shape(const Dims& shape, const std::string& what) const {
  int64_t total = 1;
  for (int64_t d : shape) {
    if (d < 1 || d > kMaxInputElements / total) {
      throw Error(fmt::format("{}: implausible shape {}", what, to_string(shape)));
    }
    total *= d;
  }
}

void Importer::convert(const onnx::NodeProto& n) {
  node_ = &n;
  node_name_ = !n.name().empty() ? n.name() : (n.output_size() > 0 ? n.output(0) : n.op_type());
  if (!is_default_domain(n.domain())) fail(fmt::format("domain '{}' is not supported", n.domain()));
  const auto& table = converters();
  auto it = table.find(n.op_type());
  if (it == table.end()) {
    std::vector<std::string> known;
    for (const auto& [op, converter] : table) known.push_back(op);
    fail(fmt::format("op type {} is not supported; supported: {}", n.op_type(), fmt::join(known, ", ")));
  }
  try {
    it->second(*this);
  } catch (const OverflowError& e) {
    fail(e.what());  // the arithmetic names the figure; the node is this one
  } catch (const ShapeError& e) {
    // An IR shape rule refused a node this converter added: said as this ONNX node's fault, without the IR node's
    // name where it is this node's own.
    const std::string_view what = e.what();
    const std::string own = node_name_ + ": ";
    fail(std::string(what.starts_with(own) ? what.substr(own.size()) : what));
  } catch (const Error&) {
    throw;
  } catch (const std::logic_error& e) {
    // A converter indexed past what a malformed node holds (an empty attribute or tensor): still the
    // node's fault, so name it.
    fail(fmt::format("malformed: an attribute or constant input is empty or too short ({})", e.what()));
  }
}

void Importer::add_graph_outputs(const onnx::GraphProto& g) {
  for (const onnx::ValueInfoProto& out : g.output()) {
    auto it = symbols_.find(out.name());
    if (it == symbols_.end())
      throw Error(fmt::format("{}: output '{}' is not produced by any node", source_, out.name()));
    model_.output_names.push_back(out.name());
    Symbol& s = it->second;
    if (s.zero_pad) add_pending_pad(s);
    if (!s.value) {
      if (s.given_input) constant_inputs_.insert(out.name());  // an output that is a given input: its value
      model_.constant_outputs[out.name()] = *s.constant;
      continue;
    }
    if (s.channel_scale) add_pending_scale(s);
    ValueId v = *s.value;
    // A graph output that is a graph input (an Identity model) gets a node of its own to copy it.
    if (model_.graph.value(v).producer == kNoNode) {
      v = model_.graph.add_node(unique_name(out.name()), OpKind::Reshape, attr::Reshape{model_.graph.shape(v)}, {v});
    }
    model_.graph.add_output(v);
  }
}

OnnxModel Importer::run(const onnx::ModelProto& model) {
  if (!model.has_graph()) throw Error(source_ + ": the model has no graph (is this an ONNX model?)");
  for (const onnx::OperatorSetIdProto& id : model.opset_import()) {
    if (is_default_domain(id.domain())) opset_ = id.version();
  }
  if (opset_ == 0 && model.opset_import_size() == 0) opset_ = 1;  // IR version 2 files name no opset
  if (opset_ < kMinOpset || opset_ > kMaxOpset) {
    throw Error(
        fmt::format("{}: opset {} is not supported (opsets {} to {} are)", source_, opset_, kMinOpset, kMaxOpset));
  }
  model_.opset = opset_;
  model_.producer = fmt::format("{} {}", model.producer_name(), model.producer_version());
  const onnx::GraphProto& g = model.graph();
  // Refused before any work: Graph would stop at the limit anyway, after converting that many nodes.
  if (static_cast<std::size_t>(g.node_size()) > kMaxNodes) {
    throw Error(fmt::format("{}: the graph has {} nodes, more than the {} supported (docs/counting.md)", source_,
                            g.node_size(), kMaxNodes));
  }
  check_single_assignment(g, source_);
  refuse_quantized(g);
  for (const onnx::NodeProto& n : g.node()) read_names_.insert(n.input().begin(), n.input().end());
  for (const onnx::ValueInfoProto& out : g.output()) read_names_.insert(out.name());
  model_.graph = Graph(g.name().empty() ? "onnx" : g.name());
  add_graph_inputs(g);
  for (const onnx::NodeProto& n : g.node()) convert(n);
  add_graph_outputs(g);
  model_.constant_inputs.assign(constant_inputs_.begin(), constant_inputs_.end());
  if (!model_.graph.outputs().empty()) verify(model_.graph);
  return std::move(model_);
}

int64_t normalize_axis(const Importer& im, int64_t axis, std::size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) im.fail(fmt::format("axis {} is outside the input's {} dimensions", axis, rank));
  return axis < 0 ? axis + r : axis;
}

const std::map<std::string, Converter>& converters() {
  static const std::map<std::string, Converter> table = [] {
    std::map<std::string, Converter> t;
    add_nn_converters(t);
    add_tensor_converters(t);
    add_math_converters(t);
    add_layout_converters(t);
    add_resize_converters(t);
    return t;
  }();
  return table;
}

std::string read_model_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(fmt::format("{}: cannot open the file", path));
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace onnx_import

namespace {

using onnx_import::read_model_file;

onnx::ModelProto parse_model(std::string_view bytes, const std::string& source) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(fmt::format("{}: not a valid ONNX model (the protobuf data is malformed or truncated, {} bytes)",
                            source, bytes.size()));
  }
  return model;
}

}  // namespace

OnnxModel import_onnx_bytes(std::string_view bytes, const std::string& source, const OnnxImportOptions& options) {
  return onnx_import::Importer(source, options).run(parse_model(bytes, source));
}

OnnxModel import_onnx(const std::string& path, const OnnxImportOptions& options) {
  return import_onnx_bytes(read_model_file(path), path, options);
}

namespace {

// The graph inputs of the file at `path` that an initializer gives a value (`with_initializer`), or those it does not.
std::vector<std::string> input_names(const std::string& path, bool with_initializer) {
  const onnx::ModelProto model = parse_model(read_model_file(path), path);
  std::set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) initializers.insert(t.name());
  std::vector<std::string> names;
  for (const onnx::ValueInfoProto& in : model.graph().input()) {
    if (initializers.contains(in.name()) == with_initializer) names.push_back(in.name());
  }
  return names;
}

}  // namespace

std::vector<std::string> onnx_default_input_names(const std::string& path) { return input_names(path, true); }

std::vector<std::string> onnx_input_names(const std::string& path) {
  const std::vector<std::string> names = input_names(path, false);
  // Found by fuzzing (an empty GraphProto): a graph of constants imports (ONNX's test_constant), but the
  // commands that ask for the inputs (summary, run) start from an input tensor.
  if (names.empty()) {
    throw Error(path +
                ": the graph has no input (no graph input that is not an initializer); cnnzoo runs and "
                "analyses graphs that take an input tensor");
  }
  return names;
}

}  // namespace cnnzoo
