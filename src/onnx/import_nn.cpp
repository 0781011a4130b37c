// Converters of the network ops: convolution, pooling, normalisation, activations, Gemm and MatMul.
// 1-D convolution and pooling (rank-3 inputs) run as 2-D ones of height 1.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "onnx/import_state.h"
#include "ops/rules.h"

namespace cnnzoo::onnx_import {
namespace {

// Fails unless every value lies in [least, kMaxDim]: a stride or kernel of 0 would divide by zero.
void check_range(const Importer& im, const std::vector<int64_t>& v, int64_t least, const char* what) {
  for (int64_t x : v) {
    if (x < least || x > kMaxDim) {
      im.fail(fmt::format("{} ({}) must lie in {}..{}; {} does not", what, fmt::join(v, ", "), least, kMaxDim, x));
    }
  }
}

// A spatial attribute list (one value per spatial axis: kernel_shape, strides, dilations, each at least
// 1) as height/width; 1-D lists give height `one_d`.
Hw spatial(const Importer& im, const std::vector<int64_t>& v, std::size_t axes, int64_t one_d, const char* what) {
  if (v.size() != axes) im.fail(fmt::format("{} has {} values for {} spatial axes", what, v.size(), axes));
  check_range(im, v, 1, what);
  return axes == 1 ? Hw(one_d, v[0]) : Hw(v[0], v[1]);
}

struct Window {
  Hw kernel, stride, dilation, pad_begin, pad_end;
};

// The window attributes of a Conv or pool with `axes` spatial axes over `x` (made NxCxHxW by as_2d),
// auto_pad resolved to explicit pads.
Window window_attrs(const Importer& im, std::size_t axes, const Dims& x, Hw kernel, Hw stride) {
  Window w{.kernel = kernel, .stride = stride, .dilation = 1, .pad_begin = 0, .pad_end = 0};
  if (im.attr("dilations")) w.dilation = spatial(im, im.ints_attr("dilations"), axes, 1, "dilations");
  const std::string auto_pad = im.string_attr("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const std::vector<int64_t> pads = im.ints_attr("pads", std::vector<int64_t>(2 * axes, 0));
    if (pads.size() != 2 * axes) im.fail(fmt::format("pads has {} values for {} spatial axes", pads.size(), axes));
    check_range(im, pads, 0, "pads");
    w.pad_begin = axes == 1 ? Hw(0, pads[0]) : Hw(pads[0], pads[1]);
    w.pad_end = axes == 1 ? Hw(0, pads[1]) : Hw(pads[2], pads[3]);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // Output = ceil(input / stride); the padding that needs, the odd pixel after (UPPER) or before (LOWER).
    auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& begin, int64_t& end) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    };
    same(x[2], w.kernel.h, w.stride.h, w.dilation.h, w.pad_begin.h, w.pad_end.h);
    same(x[3], w.kernel.w, w.stride.w, w.dilation.w, w.pad_begin.w, w.pad_end.w);
  } else if (auto_pad != "VALID") {
    im.fail(fmt::format("auto_pad '{}' is not supported (NOTSET, SAME_UPPER, SAME_LOWER and VALID are)", auto_pad));
  }
  return w;
}

// A rank-3 (1-D) input as rank 4 of height 1; rank 4 as it is; other ranks fail.
ValueId as_2d(Importer& im, ValueId x) {
  const Dims& s = im.graph().shape(x);
  if (s.size() == 4) return x;
  if (s.size() != 3) im.fail(fmt::format("expects a 1-D or 2-D (rank 3 or 4) input, got shape {}", to_string(s)));
  return im.add(OpKind::Reshape, attr::Reshape{{s[0], s[1], 1, s[2]}}, {x}, "as_2d");
}

// Undoes as_2d on an output when the input was rank 3.
ValueId back_to_rank(Importer& im, ValueId y, std::size_t rank) {
  if (rank == 4) return y;
  const Dims& s = im.graph().shape(y);
  return im.add(OpKind::Reshape, attr::Reshape{{s[0], s[1], s[3]}}, {y}, "as_1d");
}

void convert_conv(Importer& im) {
  im.accept_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  // Zero padding of height and width by a Pad before it (TensorFlow's converters write one) becomes its own, which
  // oneDNN runs; not under SAME auto_pad, whose padding depends on the padded size.
  const std::string auto_pad = im.string_attr("auto_pad", "NOTSET");
  const auto [x, zero_pad] = auto_pad == "NOTSET" || auto_pad == "VALID"
                                 ? im.value_and_zero_pad(0)
                                 : std::pair(im.value(0), std::optional<std::array<int64_t, 4>>{});
  const std::size_t rank = im.shape(0).size();
  if (rank != 3 && rank != 4) {
    im.fail(fmt::format("expects a 1-D or 2-D (rank 3 or 4) input, got shape {}", to_string(im.shape(0))));
  }
  Tensor w = im.constant(1);
  if (w.shape().size() != rank) {
    im.fail(fmt::format("weight shape {} does not fit input {}", to_string(w.shape()), to_string(im.shape(0))));
  }
  if (rank == 3) w = w.reshaped({w.shape()[0], w.shape()[1], 1, w.shape()[2]});
  const Dims ws = w.shape();
  const std::size_t axes = rank - 2;
  const Hw kernel =
      im.attr("kernel_shape") ? spatial(im, im.ints_attr("kernel_shape"), axes, 1, "kernel_shape") : Hw(ws[2], ws[3]);
  if (kernel != Hw(ws[2], ws[3])) {
    im.fail(fmt::format("kernel_shape {} differs from the weight's {}", to_string(kernel), to_string(ws)));
  }
  const Hw stride = im.attr("strides") ? spatial(im, im.ints_attr("strides"), axes, 1, "strides") : Hw(1);
  const ValueId x4 = as_2d(im, x);
  Window win = window_attrs(im, axes, im.graph().shape(x4), kernel, stride);
  if (zero_pad) {
    win.pad_begin = Hw(win.pad_begin.h + (*zero_pad)[0], win.pad_begin.w + (*zero_pad)[1]);
    win.pad_end = Hw(win.pad_end.h + (*zero_pad)[2], win.pad_end.w + (*zero_pad)[3]);
  }
  const int64_t groups = im.int_attr("group", 1);
  std::map<std::string, Tensor> params{{"weight", std::move(w)}};
  if (im.has_input(2)) params["bias"] = im.constant(2);
  const attr::Conv a{.out = ws[0],
                     .kernel = kernel,
                     .stride = win.stride,
                     .pad = win.pad_begin,
                     .dilation = win.dilation,
                     .groups = groups,
                     .bias = im.has_input(2),
                     .pad_end = win.pad_end,
                     .in = checked_mul(ws[1], groups, "the input channels (weight channels x group)")};
  im.set_output(back_to_rank(im, im.add_with_params(OpKind::Conv, a, {x4}, std::move(params)), rank));
}

// ONNX's pooled size: ceil mode keeps a last window that starts in the trailing padding, which PyTorch
// (and cnnzoo) drop; such a file is refused rather than run with another output shape.
int64_t onnx_pooled(int64_t in, int64_t k, int64_t s, int64_t pads, int64_t d, bool ceil_mode) {
  const int64_t room = in + pads - (k - 1) * d - 1;
  return (ceil_mode ? (room + s - 1) / s : room / s) + 1;
}

void convert_pool(Importer& im, OpKind op) {
  const bool average = op == OpKind::AvgPool;
  std::set<std::string> known{"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides"};
  known.insert(average ? "count_include_pad" : "storage_order");
  if (!average) known.insert("dilations");
  im.accept_attrs(known);
  im.expect_outputs(1, "the argmax indices");
  if (im.int_attr("storage_order", 0) != 0) im.fail("storage_order 1 (column-major indices) is not supported");
  // An average pool may read a Pad's zeros: they are then its own padding, counted in the average.
  const auto [x, zero_pad] = average ? im.value_and_zero_pad(0) : std::pair(im.value(0), std::nullopt);
  const std::size_t rank = im.graph().shape(x).size();
  const ValueId x4 = as_2d(im, x);
  const std::size_t axes = rank - 2;
  if (!im.attr("kernel_shape")) im.fail("needs the attribute kernel_shape");
  const Hw kernel = spatial(im, im.ints_attr("kernel_shape"), axes, 1, "kernel_shape");
  const Hw stride = im.attr("strides") ? spatial(im, im.ints_attr("strides"), axes, 1, "strides") : Hw(1);
  Window win = window_attrs(im, axes, im.graph().shape(x4), kernel, stride);
  bool count_include_pad = im.int_attr("count_include_pad", 0) != 0;
  if (zero_pad) {
    if (win.pad_begin != Hw(0) || win.pad_end != Hw(0) || im.string_attr("auto_pad", "NOTSET") != "NOTSET") {
      im.fail("pads both by the Pad before it and by its own pads or auto_pad; not supported");
    }
    win.pad_begin = Hw((*zero_pad)[0], (*zero_pad)[1]);
    win.pad_end = Hw((*zero_pad)[2], (*zero_pad)[3]);
    count_include_pad = true;
  }
  const bool ceil_mode = im.int_attr("ceil_mode", 0) != 0;
  const attr::Pool a{.kernel = kernel,
                     .stride = win.stride,
                     .pad = win.pad_begin,
                     .ceil_mode = ceil_mode,
                     .count_include_pad = count_include_pad,
                     .pad_end = win.pad_end,
                     .dilation = win.dilation};
  const ValueId y = im.add(op, a, {x4});
  const Dims& in = im.graph().shape(x4);
  const Dims& out = im.graph().shape(y);
  const int64_t want_h =
      onnx_pooled(in[2], kernel.h, win.stride.h, win.pad_begin.h + win.pad_end.h, win.dilation.h, ceil_mode);
  const int64_t want_w =
      onnx_pooled(in[3], kernel.w, win.stride.w, win.pad_begin.w + win.pad_end.w, win.dilation.w, ceil_mode);
  if (out[2] != want_h || out[3] != want_w) {
    im.fail(
        fmt::format("in ceil mode ONNX makes {}x{} windows where PyTorch's rule, which cnnzoo follows, makes "
                    "{}x{} (a last window starting in the padding); not supported",
                    want_h, want_w, out[2], out[3]));
  }
  im.set_output(back_to_rank(im, y, rank));
}

void convert_global_pool(Importer& im, bool average) {
  im.accept_attrs({});
  const ValueId x = im.value(0);
  const Dims& s = im.shape(0);
  if (s.size() != 4) im.fail(fmt::format("expects an NxCxHxW input, got {}", to_string(s)));
  if (average) return im.set_output(im.add(OpKind::GlobalAvgPool, attr::None{}, {x}));
  im.set_output(im.add(OpKind::MaxPool, attr::Pool{.kernel = {s[2], s[3]}, .stride = 1}, {x}));
}

void convert_batch_norm(Importer& im) {
  im.accept_attrs({"epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs"});
  if (im.int_attr("spatial", 1) != 1) im.fail("spatial = 0 (per-activation statistics) is not supported");
  if (im.int_attr("training_mode", 0) != 0) {
    im.fail("training_mode = 1 is not supported: cnnzoo imports models for inference");
  }
  im.expect_outputs(1, "running statistics of training mode");
  const ValueId x = im.value(0);
  Tensor count(Dims{}, DType::I64);
  std::map<std::string, Tensor> params{{"weight", im.constant(1)},
                                       {"bias", im.constant(2)},
                                       {"running_mean", im.constant(3)},
                                       {"running_var", im.constant(4)},
                                       {"num_batches_tracked", std::move(count)}};
  const double momentum = 1.0 - im.float_attr("momentum", 0.9);  // ONNX keeps the old statistics' share
  im.set_output(im.add_with_params(OpKind::BatchNorm,
                                   attr::BatchNorm{.eps = im.float_attr("epsilon", 1e-5), .momentum = momentum}, {x},
                                   std::move(params)));
}

void convert_lrn(Importer& im) {
  im.accept_attrs({"size", "alpha", "beta", "bias"});
  if (!im.attr("size")) im.fail("needs the attribute size");
  const int64_t size = im.int_attr("size", 0);
  if (size % 2 == 0) {
    im.fail(
        fmt::format("an even size ({}) is not supported: ONNX centres an even window one channel later than "
                    "PyTorch, whose convention cnnzoo follows",
                    size));
  }
  const attr::Lrn a{.size = size,
                    .alpha = im.float_attr("alpha", 1e-4),
                    .beta = im.float_attr("beta", 0.75),
                    .k = im.float_attr("bias", 1.0)};
  im.set_output(im.add(OpKind::Lrn, a, {im.value(0)}));
}

void convert_clip(Importer& im) {
  attr::Clip a;
  if (im.opset() < 11) {
    im.accept_attrs({"min", "max"});
    a.min = im.float_attr("min", -std::numeric_limits<double>::infinity());
    a.max = im.float_attr("max", std::numeric_limits<double>::infinity());
  } else {
    im.accept_attrs({});
    auto bound = [&](std::size_t i, double fallback) {
      if (!im.has_input(i)) return fallback;
      const Tensor& t = im.constant(i);
      if (t.numel() != 1 || t.dtype() != DType::F32) im.fail(fmt::format("input {} must be a float scalar", i + 1));
      return static_cast<double>(t.f32()[0]);
    };
    a.min = bound(1, -std::numeric_limits<double>::infinity());
    a.max = bound(2, std::numeric_limits<double>::infinity());
  }
  im.set_output(im.add(OpKind::Clip, a, {im.value(0)}));
}

void convert_softmax(Importer& im) {
  im.accept_attrs({"axis"});
  const ValueId x = im.value(0);
  const Dims s = im.shape(0);
  const int64_t axis = normalize_axis(im, im.int_attr("axis", im.opset() < 13 ? 1 : -1), s.size());
  // Before opset 13 the input is seen as 2-D, (dims before axis) x (dims from axis on).
  const bool coerced = im.opset() < 13 && numel(Dims(s.begin() + axis + 1, s.end())) != 1;
  if (!coerced) return im.set_output(im.add(OpKind::Softmax, attr::Softmax{axis}, {x}));
  const Dims flat{numel(Dims(s.begin(), s.begin() + axis)), numel(Dims(s.begin() + axis, s.end()))};
  const ValueId x2 = im.add(OpKind::Reshape, attr::Reshape{flat}, {x}, "as_2d");
  const ValueId y2 = im.add(OpKind::Softmax, attr::Softmax{1}, {x2}, "softmax");
  im.set_output(im.add(OpKind::Reshape, attr::Reshape{s}, {y2}));
}

Tensor transposed_2d(const Tensor& t) {
  const Dims& s = t.shape();
  Tensor out(Dims{s[1], s[0]});
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j)
      out.f32()[static_cast<std::size_t>(j * s[0] + i)] = t.f32()[static_cast<std::size_t>(i * s[1] + j)];
  return out;
}

Tensor scaled(Tensor t, double factor) {
  for (float& v : t.f32()) v = static_cast<float>(v * factor);
  return t;
}

// Gemm: Y = alpha A' B' + beta C. A constant B and a C that is a per-column vector make a Linear (the
// fully connected layers of every exporter); anything else runs as MatMul, Mul and Add.
void convert_gemm(Importer& im) {
  im.accept_attrs({"alpha", "beta", "transA", "transB", "broadcast"});
  const double alpha = im.float_attr("alpha", 1.0);
  const double beta = im.float_attr("beta", 1.0);
  const bool trans_a = im.int_attr("transA", 0) != 0;
  const bool trans_b = im.int_attr("transB", 0) != 0;
  if (im.shape(0).size() != 2 || im.shape(1).size() != 2) {
    im.fail(fmt::format("expects 2-D A and B, got {} and {}", to_string(im.shape(0)), to_string(im.shape(1))));
  }
  ValueId a = im.value(0);
  if (trans_a) a = im.add(OpKind::Transpose, attr::Transpose{{1, 0}}, {a}, "transpose_a");
  const int64_t n = im.shape(1)[trans_b ? 0 : 1];
  const bool c_is_row = !im.has_input(2) || (im.is_constant(2) && im.constant(2).numel() == n &&
                                             (im.shape(2).size() <= 1 || im.shape(2)[0] == 1));
  if (im.is_constant(1) && im.constant(1).dtype() == DType::F32 && c_is_row) {
    // Linear's weight is (out, in) = B' transposed.
    Tensor weight = scaled(trans_b ? im.constant(1) : transposed_2d(im.constant(1)), alpha);
    std::map<std::string, Tensor> params{{"weight", std::move(weight)}};
    if (im.has_input(2)) params["bias"] = scaled(im.constant(2).reshaped({n}), beta);
    const attr::Linear lin{.out = n, .bias = im.has_input(2), .in = params["weight"].shape()[1]};
    return im.set_output(im.add_with_params(OpKind::Linear, lin, {a}, std::move(params)));
  }
  ValueId b = im.value(1);
  if (trans_b) b = im.add(OpKind::Transpose, attr::Transpose{{1, 0}}, {b}, "transpose_b");
  ValueId y = im.add(OpKind::MatMul, attr::None{}, {a, b}, im.has_input(2) || alpha != 1.0 ? "matmul" : "");
  if (alpha != 1.0) {
    const ValueId k = im.constant_value(Tensor(Dims{1}, std::vector<float>{static_cast<float>(alpha)}), "alpha");
    y = im.add(OpKind::Mul, attr::None{}, {y, k}, im.has_input(2) ? "scale" : "");
  }
  if (im.has_input(2)) {
    ValueId c = im.value(2);
    if (beta != 1.0) {
      const ValueId k = im.constant_value(Tensor(Dims{1}, std::vector<float>{static_cast<float>(beta)}), "beta");
      c = im.add(OpKind::Mul, attr::None{}, {c, k}, "scale_c");
    }
    y = im.add(OpKind::Add, attr::None{}, {y, c});
  }
  im.set_output(y);
}

// MatMul with numpy's rules; a 1-D operand gains a unit dimension that the result drops again.
void convert_matmul(Importer& im) {
  im.accept_attrs({});
  const Dims sa = im.shape(0);
  const Dims sb = im.shape(1);
  if (sa.empty() || sb.empty()) im.fail("scalar operands are not allowed");
  if (sa.size() == 2 && sb.size() == 2 && im.is_constant(1) && im.constant(1).dtype() == DType::F32) {
    const attr::Linear lin{.out = sb[1], .bias = false, .in = sb[0]};
    return im.set_output(
        im.add_with_params(OpKind::Linear, lin, {im.value(0)}, {{"weight", transposed_2d(im.constant(1))}}));
  }
  ValueId a = im.value(0);
  ValueId b = im.value(1);
  if (sa.size() == 1) a = im.add(OpKind::Reshape, attr::Reshape{{1, sa[0]}}, {a}, "a_2d");
  if (sb.size() == 1) b = im.add(OpKind::Reshape, attr::Reshape{{sb[0], 1}}, {b}, "b_2d");
  if (sa.size() > 1 && sb.size() > 1) return im.set_output(im.add(OpKind::MatMul, attr::None{}, {a, b}));
  const ValueId y = im.add(OpKind::MatMul, attr::None{}, {a, b}, "matmul");
  Dims out = im.graph().shape(y);
  out.erase(out.end() - (sb.size() == 1 ? 1 : 2));  // the unit dimension the 1-D operand added
  im.set_output(im.add(OpKind::Reshape, attr::Reshape{out}, {y}));
}

// An op that maps one to one (an activation): its traits name the ONNX op and its float attributes.
void convert_one_to_one(Importer& im, OpKind op) {
  const ops::OpTraits& traits = ops::traits(op);
  const Attrs defaults = traits.from_onnx([](std::string_view, double fallback) { return fallback; });
  std::set<std::string> known;
  for (const ops::OnnxFloatAttribute& a : traits.onnx_attributes(defaults)) known.emplace(a.name);
  im.accept_attrs(known);
  const Attrs attrs = traits.from_onnx(
      [&im](std::string_view name, double fallback) { return im.float_attr(std::string(name), fallback); });
  im.set_output(im.add(op, attrs, {im.value(0)}));
}

}  // namespace

void add_nn_converters(std::map<std::string, Converter>& t) {
  t["Conv"] = convert_conv;
  t["MaxPool"] = [](Importer& im) { convert_pool(im, OpKind::MaxPool); };
  t["AveragePool"] = [](Importer& im) { convert_pool(im, OpKind::AvgPool); };
  t["GlobalAveragePool"] = [](Importer& im) { convert_global_pool(im, true); };
  t["GlobalMaxPool"] = [](Importer& im) { convert_global_pool(im, false); };
  t["BatchNormalization"] = convert_batch_norm;
  t["LRN"] = convert_lrn;
  t["Clip"] = convert_clip;
  t["Softmax"] = convert_softmax;
  t["Gemm"] = convert_gemm;
  t["MatMul"] = convert_matmul;
  for (std::size_t k = 0; k < kOpCount; ++k) {
    const auto op = static_cast<OpKind>(k);
    const std::string_view onnx_name = ops::traits(op).onnx_name;
    // The tensor ops' are import_math_ops.cpp's: they fold constants and take two inputs.
    if (!onnx_name.empty() && op_family(op) != OpFamily::TensorOp)
      t[std::string(onnx_name)] = [op](Importer& im) { convert_one_to_one(im, op); };
  }
}

}  // namespace cnnzoo::onnx_import
