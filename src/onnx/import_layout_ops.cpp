// Converters of the ops that move or make data without arithmetic: Transpose, Slice, Split, Expand, Cast and
// ConstantOfShape. Constants (the shape arithmetic exporters write) are computed at import time.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cnnzoo/checked.h"
#include "cnnzoo/reference.h"
#include "onnx/import_constants.h"

namespace cnnzoo::onnx_import {
namespace {

// The input, or its value computed now when it is known, through `op` with `attrs`.
void set_op_output(Importer& im, OpKind op, Attrs attrs, const std::string& suffix = "", std::size_t output = 0) {
  if (im.is_constant(0)) return im.set_output(fold_op(im, op, attrs, {im.constant(0)}), output);
  im.set_output(im.add(op, std::move(attrs), {im.value(0)}, suffix), output);
}

void convert_transpose(Importer& im) {
  im.accept_attrs({"perm"});
  const std::size_t rank = im.shape(0).size();
  std::vector<int64_t> perm = im.ints_attr("perm");
  if (!im.attr("perm")) {  // reversed dimensions, ONNX's default
    for (std::size_t d = rank; d > 0; --d) perm.push_back(static_cast<int64_t>(d - 1));
  }
  set_op_output(im, OpKind::Transpose, attr::Transpose{perm});
}

// ONNX's Slice bounds on one dimension of size `size`, clamped as the specification says: negative indices count
// from the end; a positive step clamps into [0, size], a negative one into [0, size - 1] (start) and [-1, size - 1]
// (end).
void clamp_bounds(int64_t size, int64_t step, int64_t& start, int64_t& end) {
  if (start < 0) start += size;  // cannot overflow: size > 0
  if (end < 0) end += size;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, 0, size);
  } else {
    start = std::clamp<int64_t>(start, 0, size - 1);
    end = std::clamp<int64_t>(end, -1, size - 1);
  }
}

void convert_slice(Importer& im) {
  const bool inputs = im.opset() >= 10;
  im.accept_attrs(inputs ? std::set<std::string>{} : std::set<std::string>{"starts", "ends", "axes"});
  const Dims x = im.shape(0);
  const std::vector<int64_t> starts = inputs ? int_values(im, 1) : im.ints_attr("starts");
  const std::vector<int64_t> ends = inputs ? int_values(im, 2) : im.ints_attr("ends");
  std::vector<int64_t> axes = inputs && im.has_input(3) ? int_values(im, 3) : im.ints_attr("axes");
  const std::vector<int64_t> steps =
      inputs && im.has_input(4) ? int_values(im, 4) : std::vector<int64_t>(starts.size(), 1);
  if (!im.attr("axes") && !(inputs && im.has_input(3))) {
    for (std::size_t d = 0; d < starts.size(); ++d) axes.push_back(static_cast<int64_t>(d));
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    im.fail(fmt::format("has {} starts, {} ends, {} axes and {} steps; they must match", starts.size(), ends.size(),
                        axes.size(), steps.size()));
  }
  attr::Slice a;
  for (int64_t size : x) {
    a.starts.push_back(0);
    a.ends.push_back(size);
    a.steps.push_back(1);
  }
  std::vector<bool> seen(x.size(), false);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto d = static_cast<std::size_t>(normalize_axis(im, axes[i], x.size()));
    if (seen[d]) im.fail(fmt::format("axis {} is sliced twice", d));
    seen[d] = true;
    if (steps[i] == 0) im.fail(fmt::format("the step of axis {} is 0", d));
    a.starts[d] = starts[i];
    a.ends[d] = ends[i];
    a.steps[d] = steps[i];
    clamp_bounds(x[d], steps[i], a.starts[d], a.ends[d]);
  }
  set_op_output(im, OpKind::Slice, std::move(a));
}

// Split into consecutive parts along `axis`, each a Slice: the sizes from the `split` attribute (before opset 13)
// or input, else equal parts, one for each output (ONNX 18's num_outputs: the last may be smaller).
void convert_split(Importer& im) {
  im.accept_attrs({"axis", "split", "num_outputs"});
  const Dims x = im.shape(0);
  const auto axis = static_cast<std::size_t>(normalize_axis(im, im.int_attr("axis", 0), x.size()));
  const int64_t size = x[axis];
  std::vector<int64_t> parts = im.opset() < 13 ? im.ints_attr("split") : std::vector<int64_t>{};
  if (im.opset() >= 13 && im.has_input(1)) parts = int_values(im, 1);
  const auto outputs = static_cast<int64_t>(im.node().output_size());
  if (parts.empty()) {
    const int64_t count = im.attr("num_outputs") ? im.int_attr("num_outputs", 1) : outputs;
    if (count < 1 || count > size) im.fail(fmt::format("cannot split {} elements into {} parts", size, count));
    const int64_t each = (size + count - 1) / count;
    if (!im.attr("num_outputs") && size % count != 0) {
      im.fail(fmt::format("cannot split {} elements into {} equal parts", size, count));
    }
    for (int64_t start = 0; start < size; start += each) parts.push_back(std::min(each, size - start));
  }
  if (static_cast<int64_t>(parts.size()) != outputs) {
    im.fail(fmt::format("has {} parts for {} outputs", parts.size(), outputs));
  }
  int64_t start = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] < 1 || parts[i] > size - start) {
      im.fail(fmt::format("parts ({}) do not split the {} elements of axis {}", fmt::join(parts, ", "), size, axis));
    }
    attr::Slice a{.starts = Dims(x.size(), 0), .ends = x, .steps = Dims(x.size(), 1)};
    a.starts[axis] = start;
    a.ends[axis] = start + parts[i];
    start += parts[i];
    set_op_output(im, OpKind::Slice, std::move(a), fmt::format("part{}", i), i);
  }
  if (start != size) {
    im.fail(
        fmt::format("parts ({}) cover {} of the {} elements of axis {}", fmt::join(parts, ", "), start, size, axis));
  }
}

// Expand: numpy broadcasting of the input to the shape input. A constant (shape arithmetic) is expanded now; data
// is multiplied by ones shaped as the dimensions it gains, which broadcasts it exactly (x * 1 is x, -0 and NaN too).
void convert_expand(Importer& im) {
  im.accept_attrs({});
  const std::vector<int64_t> shape = int_values(im, 1);
  for (int64_t d : shape) {
    if (d < 1 || d > kMaxDim) {
      im.fail(fmt::format("shape ({}) has a dimension outside 1..{}", fmt::join(shape, ", "), kMaxDim));
    }
  }
  const std::optional<Dims> out = broadcast(im.shape(0), shape);
  if (!out) im.fail(fmt::format("cannot expand {} to ({})", to_string(im.shape(0)), fmt::join(shape, ", ")));
  if (!im.is_constant(0)) {
    const Dims& x = im.shape(0);
    Dims ones_shape(out->size(), 1);
    const std::size_t lead = out->size() - x.size();
    for (std::size_t d = 0; d < out->size(); ++d) {
      if (d < lead || x[d - lead] == 1) ones_shape[d] = (*out)[d];
    }
    im.check_fold(ones_shape, sizeof(double));
    const ValueId ones = im.constant_value(
        from_doubles(std::vector<double>(static_cast<std::size_t>(numel(ones_shape)), 1.0), ones_shape, DType::F32),
        "ones");
    return im.set_output(im.add(OpKind::Mul, attr::None{}, {im.value(0), ones}));
  }
  im.check_fold(*out, sizeof(double));
  const Tensor& x = im.constant(0);
  const std::vector<double> zeros(static_cast<std::size_t>(numel(Dims(shape.begin(), shape.end()))), 0.0);
  const std::vector<double> values = as_doubles(x);
  std::vector<double> y(static_cast<std::size_t>(numel(*out)));
  ref::broadcast_binary_forward<double>(ref::BinaryOp::Add, {values, x.shape()},
                                        {zeros, Dims(shape.begin(), shape.end())}, {y, *out});
  im.set_output(from_doubles(y, *out, x.dtype()));
}

// ONNX's TensorProto data types by number: the floats (float, float16, double, bfloat16) and the integers.
bool is_float_type(int64_t to) { return to == 1 || to == 10 || to == 11 || to == 16; }
bool is_integer_type(int64_t to) { return (to >= 2 && to <= 7) || to == 9 || to == 12 || to == 13; }

// Cast of a constant to float, double or an integer type; of data, to float or double (an identity: data is float32,
// and double holds every float exactly). The 16-bit floats would round, which cnnzoo does not model.
void convert_cast(Importer& im) {
  im.accept_attrs({"to", "saturate"});
  const int64_t to = im.int_attr("to", 0);
  if (to == 10 || to == 16) im.fail("casts to a 16-bit float type (float16, bfloat16); cnnzoo runs float32");
  if (!is_float_type(to) && !is_integer_type(to))
    im.fail(fmt::format("casts to data type {}, which is not supported", to));
  if (im.is_constant(0)) {
    const Tensor& x = im.constant(0);
    std::vector<double> v = as_doubles(x);
    if (is_integer_type(to)) {
      for (double& e : v) {
        if (!std::isfinite(e) || std::abs(e) > 9.2e18) im.fail(fmt::format("cannot cast {} to an integer", e));
        e = std::trunc(e);
      }
    }
    return im.set_output(from_doubles(v, x.shape(), is_integer_type(to) ? DType::I64 : DType::F32));
  }
  if (!is_float_type(to)) im.fail("casts run-time data to an integer type; cnnzoo runs float32 data");
  im.set_output(im.value(0));
}

// A constant of the shape given, every element the `value` attribute's (float 0 by default).
void convert_constant_of_shape(Importer& im) {
  im.accept_attrs({"value"});
  const std::vector<int64_t> shape = int_values(im, 0);
  for (int64_t d : shape) {
    if (d < 0 || d > kMaxDim)
      im.fail(fmt::format("shape ({}) has a dimension outside 0..{}", fmt::join(shape, ", "), kMaxDim));
  }
  const Dims out(shape.begin(), shape.end());
  im.check_fold(out, sizeof(int64_t));
  double value = 0.0;
  DType dtype = DType::F32;
  if (const onnx::AttributeProto* a = im.attr("value")) {
    const Tensor t = tensor_from_proto(a->t(), "the value attribute");
    if (numel(t.shape()) != 1) im.fail("the value attribute must hold one element");
    value = as_doubles(t)[0];
    dtype = t.dtype();
  }
  im.set_output(from_doubles(std::vector<double>(static_cast<std::size_t>(numel(out)), value), out, dtype));
}

}  // namespace

void add_layout_converters(std::map<std::string, Converter>& t) {
  t["Transpose"] = convert_transpose;
  t["Slice"] = convert_slice;
  t["Split"] = convert_split;
  t["Expand"] = convert_expand;
  t["Cast"] = convert_cast;
  t["ConstantOfShape"] = convert_constant_of_shape;
}

}  // namespace cnnzoo::onnx_import
