// Converters of the arithmetic of imported graphs: the elementwise ops that map one to one (Sub, Div, Pow, Min,
// Max, Sqrt, Exp, Erf, Tanh, Abs, Neg, HardSigmoid, HardSwish), the reductions (ReduceMean, ReduceSum, ReduceMax,
// ReduceMin) and LayerNormalization. On inputs known at import time each is computed then, by the op's own
// reference kernel (fold_op), so shape arithmetic never reaches the engine.
#include <fmt/format.h>

#include <algorithm>

#include "cnnzoo/reference.h"
#include "onnx/import_constants.h"
#include "ops/rules.h"

namespace cnnzoo::onnx_import {

Tensor fold_op(const Importer& im, OpKind op, const Attrs& attrs, const std::vector<Tensor>& inputs) {
  std::vector<std::vector<double>> data;
  std::vector<Dims> shapes;
  for (const Tensor& t : inputs) {
    data.push_back(as_doubles(t));
    shapes.push_back(t.shape());
  }
  const Dims out = ops::rules(op).shape(ops::OpContext{im.node_name(), attrs, shapes});
  im.check_fold(out, sizeof(double));  // computed in float64
  std::vector<ref::In<double>> views;
  for (std::size_t i = 0; i < inputs.size(); ++i) views.emplace_back(data[i], shapes[i]);
  std::vector<double> y(static_cast<std::size_t>(numel(out)));
  ref::tensor_op_forward<double>(op, attrs, views, {y, out});
  return from_doubles(y, out, inputs.at(0).dtype());
}

Tensor fold_op(const Importer& im, OpKind op, const Attrs& attrs) {
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < im.input_count(); ++i) inputs.push_back(im.constant(i));
  return fold_op(im, op, attrs, inputs);
}

namespace {

// Input `i` as float data: an integer constant (Pow's exponent 2 written as int64) becomes a float one. The first
// input sets the type of the result (Pow's integer base to a float power is an integer): an integer there, with
// run-time data beside it, would make integer data at run time, which cnnzoo does not compute.
ValueId float_value(Importer& im, std::size_t i) {
  if (!im.is_constant(i) || im.constant(i).dtype() == DType::F32) return im.value(i);
  if (i == 0) {
    im.fail(
        "input 1 is an integer tensor and another input is run-time data: the result would be integer data at "
        "run time; cnnzoo runs float32 data");
  }
  const Tensor& t = im.constant(i);
  return im.constant_value(from_doubles(as_doubles(t), t.shape(), DType::F32), fmt::format("const{}", i));
}

// The one-input functions among the ops convert_elementwise takes; the others take two inputs (Min and Max, any).
bool is_unary(OpKind op) {
  static const std::set<OpKind> kUnary{OpKind::Sqrt, OpKind::Exp, OpKind::Erf,         OpKind::Tanh,
                                       OpKind::Abs,  OpKind::Neg, OpKind::HardSigmoid, OpKind::HardSwish};
  return kUnary.contains(op);
}

// One ONNX op to one IR op of the same name, its float attributes through the traits. Min and Max take any number
// of inputs, as ONNX's do: one passes through, more than two are applied in turn.
void convert_elementwise(Importer& im, OpKind op) {
  const ops::OpTraits& traits = ops::traits(op);
  const Attrs defaults = traits.from_onnx([](std::string_view, double fallback) { return fallback; });
  std::set<std::string> known{"broadcast"};  // opset < 7 wrote broadcast=1 for numpy-style broadcasting
  for (const ops::OnnxFloatAttribute& a : traits.onnx_attributes(defaults)) known.emplace(a.name);
  im.accept_attrs(known);
  if (im.attr("axis")) im.fail("the legacy axis attribute of broadcasting is not supported (opset 7+ broadcasting is)");
  const Attrs attrs = traits.from_onnx(
      [&im](std::string_view name, double fallback) { return im.float_attr(std::string(name), fallback); });
  const bool variadic = op == OpKind::Min || op == OpKind::Max;
  const std::size_t count = im.input_count();
  const std::size_t expected = is_unary(op) ? 1 : 2;
  if (variadic ? count == 0 : count != expected) {
    im.fail(fmt::format("expects {}{} input{}, got {}", variadic ? "at least " : "", variadic ? 1 : expected,
                        expected == 1 || variadic ? "" : "s", count));
  }
  if (all_constant(im)) {
    Tensor acc = im.constant(0);
    if (count == 1 && variadic) return im.set_output(std::move(acc));
    if (count == 1) return im.set_output(fold_op(im, op, attrs));
    for (std::size_t i = 1; i < count; ++i) acc = fold_op(im, op, attrs, {acc, im.constant(i)});
    return im.set_output(std::move(acc));
  }
  ValueId acc = float_value(im, 0);
  if (count == 1 && variadic) return im.set_output(acc);
  if (count == 1) return im.set_output(im.add(op, attrs, {acc}));
  for (std::size_t i = 1; i < count; ++i) {
    acc = im.add(op, attrs, {acc, float_value(im, i)}, i + 1 < count ? fmt::format("step{}", i) : "");
  }
  im.set_output(acc);
}

// The axes a Reduce* node names, ascending; from the attribute before opset 18 (ReduceSum: 13), the second input
// after. Empty when it names none.
std::vector<int64_t> reduce_axes(const Importer& im, bool axes_input, std::size_t rank) {
  std::vector<int64_t> axes =
      axes_input ? (im.has_input(1) ? int_values(im, 1) : std::vector<int64_t>{}) : im.ints_attr("axes");
  for (int64_t& a : axes) a = normalize_axis(im, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) im.fail("axes repeat");
  return axes;
}

void convert_reduce(Importer& im, OpKind op) {
  const bool axes_input = im.opset() >= (op == OpKind::ReduceSum ? 13 : 18);
  im.accept_attrs(axes_input ? std::set<std::string>{"keepdims", "noop_with_empty_axes"}
                             : std::set<std::string>{"keepdims", "axes"});
  const Dims x = im.shape(0);
  attr::Reduce a{.axes = reduce_axes(im, axes_input, x.size()), .keepdims = im.int_attr("keepdims", 1) != 0};
  if (a.axes.empty() && im.int_attr("noop_with_empty_axes", 0) != 0) {
    if (im.is_constant(0)) return im.set_output(im.constant(0));
    return im.set_output(im.value(0));
  }
  if (im.is_constant(0)) return im.set_output(fold_op(im, op, a, {im.constant(0)}));
  // The mean or maximum over height and width of a feature map is global pooling (MnasNet's and ShuffleNet's
  // x.mean([2, 3])), which oneDNN runs.
  const bool spatial = x.size() == 4 && a.axes == std::vector<int64_t>{2, 3};
  if (spatial && (op == OpKind::ReduceMean || op == OpKind::ReduceMax)) {
    const ValueId pooled = op == OpKind::ReduceMean
                               ? im.add(OpKind::GlobalAvgPool, attr::None{}, {im.value(0)}, a.keepdims ? "" : "pool")
                               : im.add(OpKind::MaxPool, attr::Pool{.kernel = {x[2], x[3]}, .stride = 1}, {im.value(0)},
                                        a.keepdims ? "" : "pool");
    if (a.keepdims) return im.set_output(pooled);
    return im.set_output(im.add(OpKind::Flatten, attr::Flatten{1}, {pooled}));
  }
  im.set_output(im.add(op, std::move(a), {im.value(0)}));
}

// LayerNormalization's optional outputs, the Mean and InvStdDev of each sample (shaped as X with the normalised
// axes 1), where something reads them: built of reductions and arithmetic, in float32 as stash_type 1 says.
void layer_norm_statistics(Importer& im, const attr::LayerNorm& a, ValueId x) {
  attr::Reduce over{.axes = {}, .keepdims = true};
  for (auto d = a.axis; d < static_cast<int64_t>(im.shape(0).size()); ++d) over.axes.push_back(d);
  const auto scalar = [&im](double v, const std::string& suffix) {
    return im.constant_value(from_doubles({v}, Dims{}, DType::F32), suffix);
  };
  const ValueId mean = im.add(OpKind::ReduceMean, over, {x}, "mean");
  const ValueId centred = im.add(OpKind::Sub, attr::None{}, {x, mean}, "centred");
  const ValueId square = im.add(OpKind::Mul, attr::None{}, {centred, centred}, "square");
  const ValueId variance = im.add(OpKind::ReduceMean, over, {square}, "variance");
  const ValueId shifted = im.add(OpKind::Add, attr::None{}, {variance, scalar(a.epsilon, "epsilon")}, "shifted");
  const ValueId deviation = im.add(OpKind::Sqrt, attr::None{}, {shifted}, "deviation");
  if (im.output_read(1)) im.set_output(mean, 1);
  if (im.output_read(2)) {
    im.set_output(im.add(OpKind::Div, attr::None{}, {scalar(1.0, "one"), deviation}, "inv_std_dev"), 2);
  }
}

// LayerNormalization (opset 17): X, Scale and an optional B.
void convert_layer_norm(Importer& im) {
  im.accept_attrs({"axis", "epsilon", "stash_type"});
  if (im.int_attr("stash_type", 1) != 1) im.fail("stash_type must be 1 (float32 statistics)");
  if (im.input_count() < 2) im.fail(fmt::format("expects 2 or 3 inputs (X, Scale, B), got {}", im.input_count()));
  const attr::LayerNorm a{.axis = normalize_axis(im, im.int_attr("axis", -1), im.shape(0).size()),
                          .epsilon = im.float_attr("epsilon", 1e-5)};
  std::vector<ValueId> inputs;
  for (std::size_t i = 0; i < im.input_count(); ++i) inputs.push_back(float_value(im, i));
  if (im.output_read(1) || im.output_read(2)) layer_norm_statistics(im, a, inputs[0]);
  im.set_output(im.add(OpKind::LayerNorm, a, std::move(inputs)));
}

}  // namespace

void add_math_converters(std::map<std::string, Converter>& t) {
  for (std::size_t k = 0; k < kOpCount; ++k) {
    const auto op = static_cast<OpKind>(k);
    const std::string_view onnx_name = ops::traits(op).onnx_name;
    if (op_family(op) == OpFamily::TensorOp && !onnx_name.empty()) {
      t[std::string(onnx_name)] = [op](Importer& im) { convert_elementwise(im, op); };
    }
  }
  t["ReduceMean"] = [](Importer& im) { convert_reduce(im, OpKind::ReduceMean); };
  t["ReduceSum"] = [](Importer& im) { convert_reduce(im, OpKind::ReduceSum); };
  t["ReduceMax"] = [](Importer& im) { convert_reduce(im, OpKind::ReduceMax); };
  t["ReduceMin"] = [](Importer& im) { convert_reduce(im, OpKind::ReduceMin); };
  t["LayerNormalization"] = convert_layer_norm;
}

}  // namespace cnnzoo::onnx_import
