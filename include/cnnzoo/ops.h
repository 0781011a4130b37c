// The operations of the graph IR and their typed attributes.
//
// One enum lists every op; the rule table in src/ops/ is built from it, so adding an op here without
// its shape, parameter and cost rules fails to compile. Attribute fields follow PyTorch's names and
// defaults, written for C++20 designated initialisers: `attr::Conv{.out = 64, .kernel = 7, .stride = 2,
// .pad = 3}`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "cnnzoo/shape.h"

namespace cnnzoo {

/// What the backends lower an op by: the ops of one family share their code in every backend, which tells
/// them apart by the per-op tables of that family (an activation's formula and oneDNN algorithm, say).
enum class OpFamily : uint8_t {
  Conv,
  Pool,  ///< max, average, adaptive and global average pooling
  BatchNorm,
  Lrn,
  Activation,  ///< elementwise, one input, attributes of its own only: relu, sigmoid, ...
  Softmax,
  Dropout,
  Linear,
  View,  ///< the same row-major data under another shape: flatten, reshape
  Concat,
  Add,
  ChannelMul,
  ChannelPad,
  ChannelAffine,
  TensorOp,  ///< the general tensor ops of imported graphs, inference only: reference kernels, or oneDNN where the
             ///< engine lowers one (mul, clip)
  Constant,
};

/// Every op, once: X(kind, name as summaries show it, attribute type, family). The OpKind enum, the rule
/// table (src/ops/rules.h) and the family of each op are all made from this list, so an op added here
/// without its rules, its traits or its family's entries in each backend does not build.
#define CNNZOO_OPS(X)                                                                                            \
  X(Conv, "conv", attr::Conv, Conv)                                   /* 2-D convolution */                      \
  X(MaxPool, "maxpool", attr::Pool, Pool)                             /* 2-D max pooling */                      \
  X(AvgPool, "avgpool", attr::Pool, Pool)                             /* 2-D average pooling */                  \
  X(AdaptiveAvgPool, "adaptive_avgpool", attr::AdaptiveAvgPool, Pool) /* to a fixed output size */               \
  X(GlobalAvgPool, "global_avgpool", attr::None, Pool)                /* average over all of H and W */          \
  X(BatchNorm, "batchnorm", attr::BatchNorm, BatchNorm)               /* scale, shift, running statistics */     \
  X(Lrn, "lrn", attr::Lrn, Lrn)                                       /* local response normalisation */         \
  X(Relu, "relu", attr::None, Activation)                                                                        \
  X(Sigmoid, "sigmoid", attr::None, Activation)                                                                  \
  X(Elu, "elu", attr::Elu, Activation)       /* x > 0 ? x : alpha (e^x - 1) */                                   \
  X(Scale, "scale", attr::Scale, Activation) /* factor x: Inception-ResNet's scaled residual */                  \
  X(Dropout, "dropout", attr::Dropout, Dropout)                                                                  \
  X(Linear, "linear", attr::Linear, Linear)                              /* y = x W^T + b on an N x F input */   \
  X(Flatten, "flatten", attr::Flatten, View)                             /* dimensions from `axis` as one */     \
  X(Concat, "concat", attr::Concat, Concat)                              /* join inputs along an axis */         \
  X(Add, "add", attr::None, Add)                                         /* elementwise sum, numpy broadcast */  \
  X(ChannelMul, "channel_mul", attr::None, ChannelMul)                   /* x times an NxCx1x1 scale: SE gate */ \
  X(ChannelPad, "channel_pad", attr::ChannelPad, ChannelPad)             /* zero channels: option-A shortcut */  \
  X(ChannelAffine, "channel_affine", attr::ChannelAffine, ChannelAffine) /* fixed scale[c] x + shift[c] */       \
  X(Softmax, "softmax", attr::Softmax, Softmax)                                                                  \
  X(Mul, "mul", attr::None, TensorOp)                  /* elementwise product, broadcast */                      \
  X(Clip, "clip", attr::Clip, TensorOp)                /* min(max(x, min), max) */                               \
  X(MatMul, "matmul", attr::None, TensorOp)            /* numpy's matmul, batch broadcast */                     \
  X(Reshape, "reshape", attr::Reshape, View)           /* another static shape */                                \
  X(Transpose, "transpose", attr::Transpose, TensorOp) /* dimensions permuted */                                 \
  X(Gather, "gather", attr::Gather, TensorOp)          /* slices picked by fixed indices */                      \
  X(Sub, "sub", attr::None, TensorOp)                  /* a - b, broadcast */                                    \
  X(Div, "div", attr::None, TensorOp)                  /* a / b, broadcast */                                    \
  X(Pow, "pow", attr::None, TensorOp)                  /* a to the power b, broadcast */                         \
  X(Min, "min", attr::None, TensorOp)                  /* the smaller of a and b, broadcast */                   \
  X(Max, "max", attr::None, TensorOp)                  /* the larger of a and b, broadcast */                    \
  X(Sqrt, "sqrt", attr::None, TensorOp)                                                                          \
  X(Exp, "exp", attr::None, TensorOp)                                                                            \
  X(Erf, "erf", attr::None, TensorOp) /* the error function: GELU's, as exporters write it */                    \
  X(Tanh, "tanh", attr::None, TensorOp)                                                                          \
  X(Abs, "abs", attr::None, TensorOp)                                                                            \
  X(Neg, "neg", attr::None, TensorOp)                                                                            \
  X(HardSigmoid, "hardsigmoid", attr::HardSigmoid, TensorOp) /* max(0, min(1, alpha x + beta)) */                \
  X(HardSwish, "hardswish", attr::None, TensorOp)            /* x max(0, min(1, x / 6 + 1 / 2)) */               \
  X(ReduceMean, "reduce_mean", attr::Reduce, TensorOp)       /* mean over some axes */                           \
  X(ReduceSum, "reduce_sum", attr::Reduce, TensorOp)                                                             \
  X(ReduceMax, "reduce_max", attr::Reduce, TensorOp)                                                             \
  X(ReduceMin, "reduce_min", attr::Reduce, TensorOp)                                                             \
  X(Slice, "slice", attr::Slice, TensorOp)              /* a strided box of the input */                         \
  X(LayerNorm, "layer_norm", attr::LayerNorm, TensorOp) /* normalised over the last axes; scale, bias inputs */  \
  X(Pad, "pad", attr::Pad, TensorOp)                    /* borders of a constant, mirrored or edge values */     \
  X(Resize, "resize", attr::Resize, TensorOp)           /* resampled: nearest, linear or cubic, ONNX's Resize */ \
  X(Constant, "constant", attr::Constant, Constant)     /* a fixed tensor, parameter "value" */

enum class OpKind : uint8_t {
#define CNNZOO_OP_KIND(KIND, NAME, ATTR, FAMILY) KIND,
  CNNZOO_OPS(CNNZOO_OP_KIND)
#undef CNNZOO_OP_KIND
};

#define CNNZOO_COUNT_ONE(...) +1
inline constexpr std::size_t kOpCount = 0 CNNZOO_OPS(CNNZOO_COUNT_ONE);
#undef CNNZOO_COUNT_ONE

/// The family the backends lower `op` by.
constexpr OpFamily op_family(OpKind op) {
  constexpr OpFamily kFamilies[] = {
#define CNNZOO_OP_FAMILY(KIND, NAME, ATTR, FAMILY) OpFamily::FAMILY,
      CNNZOO_OPS(CNNZOO_OP_FAMILY)
#undef CNNZOO_OP_FAMILY
  };
  return kFamilies[static_cast<std::size_t>(op)];
}

std::string_view op_name(OpKind op);

namespace attr {

struct None {};

struct Conv {
  int64_t out = 0;  ///< output channels
  Hw kernel{1};
  Hw stride{1};
  Hw pad{0};  ///< padding before (top, left); also after unless pad_end is set
  Hw dilation{1};
  int64_t groups = 1;
  bool bias = true;
  std::optional<Hw> pad_end{};  ///< padding after (bottom, right) when it differs from `pad`
  int64_t in = 0;               ///< expected input channels; 0 = take them from the input

  /// The padding after (bottom, right): `pad_end`, or `pad` when it is not set.
  Hw effective_pad_end() const { return pad_end.value_or(pad); }
};

struct Pool {
  Hw kernel{1};
  Hw stride{0};  ///< 0 = the kernel size, as PyTorch defaults
  Hw pad{0};
  bool ceil_mode = false;
  bool count_include_pad = true;  ///< average pooling only
  std::optional<Hw> pad_end{};
  Hw dilation{1};  ///< the window's elements are this far apart (ONNX's MaxPool dilations)

  /// The stride the window moves by: `stride`, or the kernel size along an axis whose stride is 0.
  Hw effective_stride() const { return {stride.h != 0 ? stride.h : kernel.h, stride.w != 0 ? stride.w : kernel.w}; }
  /// The padding after (bottom, right): `pad_end`, or `pad` when it is not set.
  Hw effective_pad_end() const { return pad_end.value_or(pad); }
};

struct AdaptiveAvgPool {
  Hw output{1};
};

struct BatchNorm {
  double eps = 1e-5;
  double momentum = 0.1;  ///< PyTorch convention: new = (1 - m) old + m batch
  int64_t channels = 0;   ///< expected channels; 0 = take them from the input
};

/// PyTorch/ONNX/Caffe convention: b = a / (k + alpha / size * sum of a^2 over `size` channels)^beta.
struct Lrn {
  int64_t size = 5;
  double alpha = 1e-4;
  double beta = 0.75;
  double k = 1.0;

  /// PyTorch's window of channel c is [c - before, c + after]: size 4 is [c-2, c+1]. (ONNX centres an even
  /// window one channel later, [c-1, c+2]; docs/onnx.md.)
  int64_t channels_before() const { return size / 2; }
  int64_t channels_after() const { return (size - 1) / 2; }
};

/// PyTorch's nn.ELU and ONNX's Elu: x for x > 0, alpha (exp(x) - 1) otherwise.
struct Elu {
  double alpha = 1.0;
};

/// y = factor x: Inception-ResNet scales each residual branch by 0.1 to 0.3 before the sum (Szegedy et al. 2016,
/// section 3.3), which keeps very wide residual networks from dying early in training.
struct Scale {
  double factor = 1.0;
};

struct Dropout {
  double p = 0.5;
};

struct Linear {
  int64_t out = 0;
  bool bias = true;
  int64_t in = 0;  ///< expected input features; 0 = take them from the input
};

struct Flatten {
  int64_t axis = 1;
};

struct Concat {
  int64_t axis = 1;
};

struct ChannelPad {
  int64_t before = 0;
  int64_t after = 0;
};

/// y[n, c] = scale[c] x[n, c] + shift[c], with fixed numbers (no parameters, nothing learnt). torchvision's
/// Inception-v3 with transform_input=True begins with one: it turns input normalised by ImageNet's mean and
/// std into the (x - 0.5) / 0.5 input that its weights, ported from Google's, were trained on.
struct ChannelAffine {
  std::vector<double> scale;  ///< one per channel
  std::vector<double> shift;  ///< one per channel
};

struct Softmax {
  int64_t axis = 1;
};

struct Clip {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

struct Reshape {
  Dims shape;  ///< the whole output shape, batch included; same element count as the input
};

struct Transpose {
  std::vector<int64_t> perm;  ///< output dimension i is input dimension perm[i]
};

struct Gather {
  int64_t axis = 0;
  std::vector<int64_t> indices;  ///< in [0, size of axis), row-major in `indices_shape`
  Dims indices_shape;            ///< replaces dimension `axis` of the input in the output
};

/// ONNX's HardSigmoid: max(0, min(1, alpha x + beta)). PyTorch's nn.Hardsigmoid is alpha = 1/6, beta = 1/2
/// (MobileNetV3's squeeze-and-excitation gate); ONNX's defaults are 0.2 and 0.5.
struct HardSigmoid {
  double alpha = 0.2;
  double beta = 0.5;
};

/// A reduction (mean, sum, max, min) over `axes` of its input.
struct Reduce {
  std::vector<int64_t> axes;  ///< ascending, each in [0, rank); every axis when empty
  bool keepdims = true;       ///< the reduced axes stay as size 1
};

/// Output element i along dimension d is input element starts[d] + i steps[d]; ONNX's Slice with its bounds
/// already clamped to the input, one entry per dimension.
struct Slice {
  std::vector<int64_t> starts;  ///< in [0, size) where the slice is not empty
  std::vector<int64_t> ends;    ///< one past the last (step > 0) or one before it (step < 0); -1 allowed then
  std::vector<int64_t> steps;   ///< non-zero
};

/// ONNX's LayerNormalization (ConvNeXt's norm): each sample normalised over the dimensions from `axis` on, by its own
/// mean and variance, then times the scale input and plus the bias input (shaped as those dimensions).
struct LayerNorm {
  int64_t axis = -1;  ///< in [0, rank) once in a graph
  double epsilon = 1e-5;
};

/// ONNX's Pad on every dimension: `begin[d]` elements before dimension d and `end[d]` after (negative: that many
/// removed), filled with `value` (constant), the mirror image without the edge (reflect, numpy's "reflect") or
/// copies of the edge (edge).
struct Pad {
  enum class Mode : uint8_t { Constant, Reflect, Edge };
  std::vector<int64_t> begin;
  std::vector<int64_t> end;
  Mode mode = Mode::Constant;
  double value = 0.0;
};

/// ONNX's Resize, on every dimension: output element i along dimension d samples the input at a coordinate that
/// `coordinates` computes from i, the scale and the sizes (ONNX's coordinate_transformation_mode), by the nearest
/// element or by linear or cubic interpolation between its neighbours (edge values beyond the input).
struct Resize {
  enum class Mode : uint8_t { Nearest, Linear, Cubic };
  enum class Coordinates : uint8_t {
    HalfPixel,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    TfCropAndResize
  };
  enum class Rounding : uint8_t { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };  ///< of Mode::Nearest
  Dims sizes;                                                                        ///< the output's shape
  std::vector<double> scales;  ///< per dimension: the factor the coordinates use (the output size / the input's
                               ///< when the file gives sizes)
  Mode mode = Mode::Nearest;
  Coordinates coordinates = Coordinates::HalfPixel;
  Rounding rounding = Rounding::RoundPreferFloor;
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;      ///< weights of neighbours outside the input are 0, the others renormalised
  std::vector<double> roi;           ///< TfCropAndResize: the box's starts, then its ends, per dimension, in [0, 1]
  double extrapolation_value = 0.0;  ///< TfCropAndResize: the value outside the input
};

struct Constant {
  Dims shape;
};

}  // namespace attr

using Attrs = std::variant<attr::None, attr::Conv, attr::Pool, attr::AdaptiveAvgPool, attr::BatchNorm, attr::Lrn,
                           attr::Elu, attr::Scale, attr::Dropout, attr::Linear, attr::Flatten, attr::Concat,
                           attr::ChannelPad, attr::ChannelAffine, attr::Softmax, attr::Clip, attr::Reshape,
                           attr::Transpose, attr::Gather, attr::HardSigmoid, attr::Reduce, attr::Slice, attr::LayerNorm,
                           attr::Pad, attr::Resize, attr::Constant>;

}  // namespace cnnzoo
