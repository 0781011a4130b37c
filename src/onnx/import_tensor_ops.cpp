// Converters of the tensor ops: elementwise sums and products, Concat, Flatten, Reshape, Unsqueeze, Squeeze,
// Gather, Shape, Constant, Identity and Dropout. Whatever is known at import time (the Shape, Gather,
// Unsqueeze, Concat chain exporters write before a Reshape) is computed here, so only data moves at run
// time.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "cnnzoo/reference.h"
#include "onnx/import_constants.h"
#include "ops/rules.h"

namespace cnnzoo::onnx_import {
namespace {

// Add, Mul and Sum of constants (shape arithmetic), broadcast.
Tensor fold_binary(const Importer& im, ref::BinaryOp op) {
  Tensor acc = im.constant(0);
  for (std::size_t i = 1; i < im.input_count(); ++i) {
    const Tensor& b = im.constant(i);
    if (b.dtype() != acc.dtype()) im.fail("mixes integer and float inputs");
    const std::optional<Dims> out = broadcast(acc.shape(), b.shape());
    if (!out) im.fail(fmt::format("cannot broadcast {} with {}", to_string(acc.shape()), to_string(b.shape())));
    im.check_fold(*out, sizeof(double));  // computed in float64
    const std::vector<double> x = as_doubles(acc);
    const std::vector<double> y = as_doubles(b);
    std::vector<double> z(static_cast<std::size_t>(numel(*out)));
    ref::broadcast_binary_forward<double>(op, {x, acc.shape()}, {y, b.shape()}, {z, *out});
    acc = from_doubles(z, *out, acc.dtype());
  }
  return acc;
}

void convert_elementwise(Importer& im, ref::BinaryOp op, OpKind kind, bool variadic) {
  im.accept_attrs(variadic ? std::set<std::string>{} : std::set<std::string>{"axis", "broadcast"});
  if (im.attr("axis")) im.fail("the legacy axis attribute of broadcasting is not supported (opset 7+ broadcasting is)");
  if (!variadic && im.input_count() != 2) im.fail(fmt::format("expects 2 inputs, got {}", im.input_count()));
  if (all_constant(im)) return im.set_output(fold_binary(im, op));
  if (im.input_count() == 1) return im.set_output(im.value(0));
  std::vector<ValueId> inputs;
  for (std::size_t i = 0; i < im.input_count(); ++i) inputs.push_back(im.value(i));
  im.set_output(im.add(kind, attr::None{}, std::move(inputs)));
}

// Constant input `k`'s one finite float, when it multiplies input `x` without adding dimensions.
std::optional<double> finite_scalar(const Importer& im, std::size_t k, std::size_t x) {
  if (!im.is_constant(k) || im.constant(k).dtype() != DType::F32 || numel(im.constant(k).shape()) != 1 ||
      im.shape(k).size() > im.shape(x).size()) {
    return std::nullopt;
  }
  const double value = im.constant(k).f32()[0];
  return std::isfinite(value) ? std::optional(value) : std::nullopt;
}

// Constant input `k`'s values when they are one finite float for each channel of the 4-D input `x` (shaped C x 1 x 1
// or 1 x C x 1 x 1, which broadcast over N, H and W).
std::optional<std::vector<double>> per_channel_floats(const Importer& im, std::size_t k, std::size_t x) {
  if (im.is_constant(x) || !im.is_constant(k) || im.constant(k).dtype() != DType::F32 || im.shape(x).size() != 4) {
    return std::nullopt;
  }
  const int64_t channels = im.shape(x)[1];
  const Dims& shape = im.shape(k);
  if (shape != Dims{channels, 1, 1} && shape != Dims{1, channels, 1, 1}) return std::nullopt;
  const auto values = im.constant(k).f32();
  if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); })) return std::nullopt;
  return std::vector<double>(values.begin(), values.end());
}

// A Mul of a tensor by one float constant is a scale (what the exporter writes for Inception-ResNet's scaled
// residuals), which trains and runs on oneDNN; a Mul of a 4-D tensor by one float per channel is the scale of a
// channel_affine map (what the exporter writes first for one), left pending for an Add of its shift to take over.
// Any other Mul is the general broadcast product, a non-finite factor too (a scale refuses it, the product
// computes what the file says).
void convert_mul(Importer& im) {
  if (im.input_count() == 2 && im.attr("axis") == nullptr && !all_constant(im)) {
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t x = 1 - k;
      if (const auto factor = finite_scalar(im, k, x)) {
        im.accept_attrs({"broadcast"});
        return im.set_output(im.add(OpKind::Scale, attr::Scale{*factor}, {im.value(x)}));
      }
      if (auto scale = per_channel_floats(im, k, x)) {
        im.accept_attrs({"broadcast"});
        return im.set_channel_scaled_output(im.value(x), std::move(*scale));
      }
    }
  }
  convert_elementwise(im, ref::BinaryOp::Mul, OpKind::Mul, false);
}

// An Add of one float per channel to a tensor that a Mul scaled per channel just before is one channel_affine map;
// any other Add is the elementwise sum.
void convert_add(Importer& im) {
  if (im.input_count() == 2 && im.attr("axis") == nullptr) {
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t x = 1 - k;
      if (!im.has_channel_scale(x)) continue;
      if (auto shift = per_channel_floats(im, k, x)) {
        im.accept_attrs({"broadcast"});
        auto [input, affine] = im.value_and_channel_scale(x);
        affine.shift = std::move(*shift);
        return im.set_output(im.add(OpKind::ChannelAffine, std::move(affine), {input}));
      }
    }
  }
  convert_elementwise(im, ref::BinaryOp::Add, OpKind::Add, false);
}

// Slices along `axis` of a constant, at `indices` shaped `index_shape`.
Tensor fold_gather(const Importer& im, const Tensor& t, int64_t axis, const std::vector<int64_t>& indices,
                   const Dims& index_shape) {
  const Dims& s = t.shape();
  Dims out(s.begin(), s.begin() + axis);
  out.insert(out.end(), index_shape.begin(), index_shape.end());
  out.insert(out.end(), s.begin() + axis + 1, s.end());
  im.check_fold(out, dtype_bytes(t.dtype()));
  Tensor y(out, t.dtype());
  const int64_t outer = numel(Dims(s.begin(), s.begin() + axis));
  const int64_t inner = numel(Dims(s.begin() + axis + 1, s.end())) * dtype_bytes(t.dtype());
  std::byte* to = y.bytes();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i : indices) {
      std::memcpy(to, t.bytes() + (o * s[static_cast<std::size_t>(axis)] + i) * inner, static_cast<std::size_t>(inner));
      to += inner;
    }
  }
  return y;
}

void convert_gather(Importer& im) {
  im.accept_attrs({"axis"});
  const Dims data = im.shape(0);
  const int64_t axis = normalize_axis(im, im.int_attr("axis", 0), data.size());
  std::vector<int64_t> indices = int_values(im, 1);
  const int64_t size = data[static_cast<std::size_t>(axis)];
  for (int64_t& i : indices) {
    if (i < -size || i >= size) im.fail(fmt::format("index {} is outside [{}, {}) on axis {}", i, -size, size, axis));
    if (i < 0) i += size;
  }
  const Dims index_shape = im.constant(1).shape();
  if (im.is_constant(0)) return im.set_output(fold_gather(im, im.constant(0), axis, indices, index_shape));
  im.set_output(im.add(OpKind::Gather, attr::Gather{axis, indices, index_shape}, {im.value(0)}));
}

void convert_shape(Importer& im) {
  im.accept_attrs({"start", "end"});
  const Dims s = im.shape(0);
  const auto rank = static_cast<int64_t>(s.size());
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  const int64_t start = clamp(im.int_attr("start", 0));
  const int64_t end = std::max(start, clamp(im.int_attr("end", rank)));
  Tensor t(Dims{end - start}, DType::I64);
  std::copy(s.begin() + start, s.begin() + end, t.i64().begin());
  im.set_output(std::move(t));
}

void convert_constant(Importer& im) {
  const onnx::NodeProto& n = im.node();
  if (n.attribute_size() != 1) im.fail("expects exactly one value attribute");
  const onnx::AttributeProto& a = n.attribute(0);
  const std::string what = fmt::format("constant '{}'", n.output_size() > 0 ? n.output(0) : "");
  if (a.name() == "value") return im.set_output(tensor_from_proto(a.t(), what));
  if (a.name() == "value_float") return im.set_output(Tensor(Dims{}, std::vector<float>{a.f()}));
  if (a.name() == "value_floats") {
    return im.set_output(Tensor(Dims{a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end())));
  }
  if (a.name() == "value_int" || a.name() == "value_ints") {
    const bool one = a.name() == "value_int";
    Tensor t(one ? Dims{} : Dims{a.ints_size()}, DType::I64);
    if (one) t.i64()[0] = a.i();
    std::copy(a.ints().begin(), a.ints().end(), t.i64().begin() + (one ? 1 : 0));
    return im.set_output(std::move(t));
  }
  im.fail(fmt::format("value attribute '{}' is not supported (value, value_float(s), value_int(s) are)", a.name()));
}

// A constant concatenated along `axis`.
Tensor fold_concat(const Importer& im, int64_t axis) {
  const Tensor& first = im.constant(0);
  Dims out = first.shape();
  out[static_cast<std::size_t>(axis)] = 0;
  for (std::size_t i = 0; i < im.input_count(); ++i) {
    const int64_t along = im.shape(i)[static_cast<std::size_t>(axis)];
    add_to(out[static_cast<std::size_t>(axis)], along, "the concatenated dimension");
  }
  im.check_fold(out, dtype_bytes(first.dtype()));
  Tensor y(out, first.dtype());
  const int64_t outer = numel(Dims(out.begin(), out.begin() + axis));
  std::byte* to = y.bytes();
  for (int64_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0; i < im.input_count(); ++i) {
      const Tensor& t = im.constant(i);
      if (t.dtype() != first.dtype()) im.fail("mixes integer and float inputs");
      const int64_t chunk = numel(Dims(t.shape().begin() + axis, t.shape().end())) * dtype_bytes(t.dtype());
      std::memcpy(to, t.bytes() + o * chunk, static_cast<std::size_t>(chunk));
      to += chunk;
    }
  }
  return y;
}

void convert_concat(Importer& im) {
  im.accept_attrs({"axis"});
  if (im.input_count() == 0) im.fail("needs at least one input");
  const int64_t axis = normalize_axis(im, im.int_attr("axis", im.opset() < 4 ? 1 : 0), im.shape(0).size());
  for (std::size_t i = 1; i < im.input_count(); ++i) {
    const Dims& a = im.shape(0);
    const Dims& b = im.shape(i);
    bool fits = a.size() == b.size();
    for (std::size_t k = 0; fits && k < a.size(); ++k) fits = static_cast<int64_t>(k) == axis || a[k] == b[k];
    if (!fits)
      im.fail(fmt::format("input {} has shape {}, which does not fit {} on axis {}", i + 1, to_string(b), to_string(a),
                          axis));
  }
  if (all_constant(im)) return im.set_output(fold_concat(im, axis));
  std::vector<ValueId> inputs;
  for (std::size_t i = 0; i < im.input_count(); ++i) inputs.push_back(im.value(i));
  im.set_output(im.add(OpKind::Concat, attr::Concat{axis}, std::move(inputs)));
}

// The input reshaped to `out`: at import time for a constant, as a Reshape node otherwise.
void reshape_to(Importer& im, const Dims& out) {
  if (numel(out) != numel(im.shape(0))) {
    im.fail(fmt::format("cannot make {} ({} elements) into {}", to_string(im.shape(0)), numel(im.shape(0)),
                        to_string(out)));
  }
  if (im.is_constant(0)) return im.set_output(im.constant(0).reshaped(out));
  im.set_output(im.add(OpKind::Reshape, attr::Reshape{out}, {im.value(0)}));
}

void convert_reshape(Importer& im) {
  im.accept_attrs({"allowzero"});
  const Dims in = im.shape(0);
  const std::vector<int64_t> target = int_values(im, 1);
  const bool allow_zero = im.int_attr("allowzero", 0) != 0;
  Dims out;
  std::optional<std::size_t> inferred;
  for (std::size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allow_zero) {
      if (i >= in.size()) im.fail(fmt::format("shape entry {} copies an input dimension that does not exist", i));
      d = in[i];
    } else if (d == -1) {
      if (inferred) im.fail("shape has more than one -1");
      inferred = i;
      d = 1;
    } else if (d < 0) {
      im.fail(fmt::format("shape entry {} is {}", i, d));
    }
    out.push_back(d);
  }
  if (inferred) {
    const int64_t known = numel(out);
    if (known == 0 || numel(in) % known != 0) {
      im.fail(fmt::format("cannot infer the -1 of shape ({}) for an input of {} elements", fmt::join(target, ", "),
                          numel(in)));
    }
    out[*inferred] = numel(in) / known;
  }
  reshape_to(im, out);
}

void convert_flatten(Importer& im) {
  im.accept_attrs({"axis"});
  const Dims in = im.shape(0);
  const auto rank = static_cast<int64_t>(in.size());
  int64_t axis = im.int_attr("axis", 1);
  if (axis < -rank || axis > rank) im.fail(fmt::format("axis {} is outside [-{}, {}]", axis, rank, rank));
  if (axis < 0) axis += rank;
  const Dims out{numel(Dims(in.begin(), in.begin() + axis)), numel(Dims(in.begin() + axis, in.end()))};
  // Flatten from axis 1 is the IR's own flatten, which the summary shows as such.
  if (axis == 1 && !im.is_constant(0)) return im.set_output(im.add(OpKind::Flatten, attr::Flatten{1}, {im.value(0)}));
  reshape_to(im, out);
}

// The axes of Unsqueeze and Squeeze: their attribute before opset 13, their second input after (which Squeeze may
// leave out: none).
std::vector<int64_t> squeeze_axes(Importer& im, bool optional) {
  if (im.opset() < 13) {
    im.accept_attrs({"axes"});
    return im.ints_attr("axes");
  }
  im.accept_attrs({});
  return optional && !im.has_input(1) ? std::vector<int64_t>{} : int_values(im, 1);
}

void convert_unsqueeze(Importer& im) {
  std::vector<int64_t> axes = squeeze_axes(im, false);
  const Dims in = im.shape(0);
  const std::size_t rank = in.size() + axes.size();
  for (int64_t& a : axes) a = normalize_axis(im, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) im.fail("axes repeat");
  Dims out;
  std::size_t next = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    const bool unit = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
    out.push_back(unit ? 1 : in[next++]);
  }
  reshape_to(im, out);
}

// Squeeze: the named axes of size 1 removed (their attribute before opset 13, an input after), or every axis of
// size 1 when none is named.
void convert_squeeze(Importer& im) {
  std::vector<int64_t> axes = squeeze_axes(im, true);
  const Dims in = im.shape(0);
  for (int64_t& a : axes) {
    a = normalize_axis(im, a, in.size());
    if (in[static_cast<std::size_t>(a)] != 1) {
      im.fail(
          fmt::format("axis {} has size {}; only axes of size 1 can be squeezed", a, in[static_cast<std::size_t>(a)]));
    }
  }
  Dims out;
  for (std::size_t d = 0; d < in.size(); ++d) {
    const bool named = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (axes.empty() ? in[d] != 1 : !named) out.push_back(in[d]);
  }
  reshape_to(im, out);
}

// Identity, and Dropout at inference: the output is the input.
void pass_through(Importer& im) {
  if (im.is_constant(0)) return im.set_output(im.constant(0));
  im.set_output(im.value(0));
}

void convert_dropout(Importer& im) {
  im.accept_attrs({"ratio", "is_test", "seed"});
  im.expect_outputs(1, "the mask");
  if (im.has_input(2) && (!im.is_known(2) || scalar_input(im, 2, "training_mode") != 0.0)) {
    im.fail("training_mode must be false: cnnzoo imports models for inference");
  }
  pass_through(im);
}

// ONNX's Pad modes by name.
attr::Pad::Mode pad_mode(const Importer& im) {
  const std::string mode = im.string_attr("mode", "constant");
  if (mode == "constant") return attr::Pad::Mode::Constant;
  if (mode == "reflect") return attr::Pad::Mode::Reflect;
  if (mode == "edge") return attr::Pad::Mode::Edge;
  im.fail(fmt::format("mode '{}' is not supported (constant, reflect and edge are)", mode));
}

// Pad in every mode, on any axes. Zero padding of nothing is an identity; of channels, the IR's channel padding
// (the zoo's, which trains); of height and width, padding left pending for a Conv or AveragePool that reads it to
// take over as its own (oneDNN runs it there); everything else a pad node.
void convert_pad(Importer& im) {
  im.accept_attrs({"mode", "pads", "value"});
  const attr::Pad::Mode mode = pad_mode(im);
  const Dims s = im.shape(0);
  std::vector<int64_t> pads = im.opset() < 11 ? im.ints_attr("pads") : int_values(im, 1);
  const double value = mode != attr::Pad::Mode::Constant ? 0.0
                       : im.opset() < 11                 ? im.float_attr("value", 0.0)
                       : im.has_input(2)                 ? scalar_input(im, 2, "constant_value")
                                                         : 0.0;
  // Opset 18's axes input names the dimensions `pads` is for; the others are not padded.
  std::vector<int64_t> axes;
  if (im.has_input(3)) {
    for (int64_t a : int_values(im, 3)) axes.push_back(normalize_axis(im, a, s.size()));
  } else {
    for (std::size_t d = 0; d < s.size(); ++d) axes.push_back(static_cast<int64_t>(d));
  }
  if (pads.size() != 2 * axes.size()) {
    im.fail(fmt::format("has {} pads for {} padded dimensions (2 each)", pads.size(), axes.size()));
  }
  attr::Pad a{.begin = Dims(s.size(), 0), .end = Dims(s.size(), 0), .mode = mode, .value = value};
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto d = static_cast<std::size_t>(axes[i]);
    a.begin[d] = pads[i];
    a.end[d] = pads[i + axes.size()];
  }
  // The pad's shape rule checks the amounts (no overflow, no empty output, reflect within the input) on every path.
  ops::rules(OpKind::Pad).shape(ops::OpContext{im.node_name(), a, {s}});
  const auto zero = [](const Dims& v, std::size_t from, std::size_t to) {
    return std::all_of(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to),
                       [](int64_t p) { return p == 0; });
  };
  if (zero(a.begin, 0, s.size()) && zero(a.end, 0, s.size())) return pass_through(im);
  const bool zeros = mode == attr::Pad::Mode::Constant && value == 0.0 && s.size() == 4 && !im.is_constant(0);
  const bool growing = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p >= 0; });
  if (zeros && growing && zero(a.begin, 2, 4) && zero(a.end, 2, 4) && a.begin[0] == 0 && a.end[0] == 0) {
    return im.set_output(im.add(OpKind::ChannelPad, attr::ChannelPad{a.begin[1], a.end[1]}, {im.value(0)}));
  }
  if (zeros && growing && zero(a.begin, 0, 2) && zero(a.end, 0, 2)) {
    return im.set_zero_padded_output(im.value(0), {a.begin[2], a.begin[3], a.end[2], a.end[3]});
  }
  if (im.is_constant(0)) return im.set_output(fold_op(im, OpKind::Pad, a, {im.constant(0)}));
  im.set_output(im.add(OpKind::Pad, std::move(a), {im.value(0)}));
}

}  // namespace

void add_tensor_converters(std::map<std::string, Converter>& t) {
  t["Add"] = convert_add;
  t["Sum"] = [](Importer& im) { convert_elementwise(im, ref::BinaryOp::Add, OpKind::Add, true); };
  t["Mul"] = convert_mul;
  t["Gather"] = convert_gather;
  t["Shape"] = convert_shape;
  t["Constant"] = convert_constant;
  t["Concat"] = convert_concat;
  t["Reshape"] = convert_reshape;
  t["Flatten"] = convert_flatten;
  t["Unsqueeze"] = convert_unsqueeze;
  t["Squeeze"] = convert_squeeze;
  t["Identity"] = [](Importer& im) {
    im.accept_attrs({});
    pass_through(im);
  };
  t["Dropout"] = convert_dropout;
  t["Pad"] = convert_pad;
}

}  // namespace cnnzoo::onnx_import
