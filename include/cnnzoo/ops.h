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

enum class OpKind : uint8_t {
  Conv,             ///< 2-D convolution (stride, padding, dilation, groups, optional bias)
  MaxPool,          ///< 2-D max pooling
  AvgPool,          ///< 2-D average pooling
  AdaptiveAvgPool,  ///< average pooling to a fixed output size (PyTorch's window rule)
  GlobalAvgPool,    ///< average over all of H and W
  BatchNorm,        ///< batch normalisation over channels (scale, shift, running statistics)
  Lrn,              ///< local response normalisation across channels
  Relu,
  Sigmoid,
  Dropout,
  Linear,      ///< fully connected: y = x W^T + b on an N x F input
  Flatten,     ///< collapse the dimensions from `axis` on into one
  Concat,      ///< join inputs along an axis (channels)
  Add,         ///< elementwise sum of its inputs, broadcast as numpy does
  ChannelMul,  ///< x (N,C,H,W) times a per-channel scale (N,C,1,1): the SE gate
  ChannelPad,  ///< zero channels added before and after: the option-A shortcut of CIFAR ResNets
  Softmax,
  // General tensor ops, for graphs imported from ONNX (the zoo's own models do not use them).
  Mul,        ///< elementwise product of two inputs, broadcast as numpy does
  Clip,       ///< min(max(x, min), max)
  MatMul,     ///< numpy's matmul on rank >= 2 inputs, batch dimensions broadcast
  Reshape,    ///< the same row-major data under another static shape
  Transpose,  ///< dimensions permuted
  Gather,     ///< slices picked along an axis by fixed indices
  Constant,   ///< a fixed tensor (its parameter "value")
};
inline constexpr std::size_t kOpCount = 24;

/// Lower-case op name as summaries show it: "conv", "maxpool", "avgpool", "linear", "concat", "add".
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
};

struct Pool {
  Hw kernel{1};
  Hw stride{0};  ///< 0 = the kernel size, as PyTorch defaults
  Hw pad{0};
  bool ceil_mode = false;
  bool count_include_pad = true;  ///< average pooling only
  std::optional<Hw> pad_end{};
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

struct Constant {
  Dims shape;
};

}  // namespace attr

using Attrs = std::variant<attr::None, attr::Conv, attr::Pool, attr::AdaptiveAvgPool, attr::BatchNorm, attr::Lrn,
                           attr::Dropout, attr::Linear, attr::Flatten, attr::Concat, attr::ChannelPad, attr::Softmax,
                           attr::Clip, attr::Reshape, attr::Transpose, attr::Gather, attr::Constant>;

}  // namespace cnnzoo
