// The rule table: for every op, its shape rule, the parameters it creates and its cost rule.
//
// `Rule<K>` has no primary definition, and the table instantiates it for every OpKind, so an op added
// to the enum without all three rules does not compile. Each op's rules live in a file of their own.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/checked.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/ops.h"

namespace cnnzoo::ops {

/// Multiply-adds (convolution and linear only, one multiply-add = 1) and FLOPs (2 x MACs plus the
/// counted work of every other op; docs/counting.md lists the rule of each op).
struct Cost {
  int64_t macs = 0;
  int64_t flops = 0;
};

/// A parameter as its op declares it: the suffix after the node name ("weight", "running_mean").
struct ParamShape {
  std::string suffix;
  Dims shape;
  ParamKind kind = ParamKind::Trainable;
  DType dtype = DType::F32;
};

/// What a rule sees: the node's name (for messages), its attributes and its input shapes.
struct OpContext {
  const std::string& node;
  const Attrs& attrs;
  const std::vector<Dims>& in;
};

struct OpRules {
  std::string_view name;
  bool (*attrs_fit)(const Attrs&);
  Dims (*shape)(const OpContext&);
  std::vector<ParamShape> (*params)(const OpContext&);
  Cost (*cost)(const OpContext&, const Dims& out);
};

/// The rules of an op.
const OpRules& rules(OpKind op);

template <OpKind K>
struct Rule;  // defined only by CNNZOO_OP_RULE below, once per op

#define CNNZOO_OP_RULE(KIND, NAME, ATTR)                       \
  template <>                                                  \
  struct Rule<OpKind::KIND> {                                  \
    using Attr = ATTR;                                         \
    static constexpr std::string_view name = NAME;             \
    static Dims shape(const OpContext& c);                     \
    static std::vector<ParamShape> params(const OpContext& c); \
    static Cost cost(const OpContext& c, const Dims& out);     \
  }

CNNZOO_OP_RULE(Conv, "conv", attr::Conv);
CNNZOO_OP_RULE(MaxPool, "maxpool", attr::Pool);
CNNZOO_OP_RULE(AvgPool, "avgpool", attr::Pool);
CNNZOO_OP_RULE(AdaptiveAvgPool, "adaptive_avgpool", attr::AdaptiveAvgPool);
CNNZOO_OP_RULE(GlobalAvgPool, "global_avgpool", attr::None);
CNNZOO_OP_RULE(BatchNorm, "batchnorm", attr::BatchNorm);
CNNZOO_OP_RULE(Lrn, "lrn", attr::Lrn);
CNNZOO_OP_RULE(Relu, "relu", attr::None);
CNNZOO_OP_RULE(Sigmoid, "sigmoid", attr::None);
CNNZOO_OP_RULE(Dropout, "dropout", attr::Dropout);
CNNZOO_OP_RULE(Linear, "linear", attr::Linear);
CNNZOO_OP_RULE(Flatten, "flatten", attr::Flatten);
CNNZOO_OP_RULE(Concat, "concat", attr::Concat);
CNNZOO_OP_RULE(Add, "add", attr::None);
CNNZOO_OP_RULE(ChannelMul, "channel_mul", attr::None);
CNNZOO_OP_RULE(ChannelPad, "channel_pad", attr::ChannelPad);
CNNZOO_OP_RULE(Softmax, "softmax", attr::Softmax);
CNNZOO_OP_RULE(Mul, "mul", attr::None);
CNNZOO_OP_RULE(Clip, "clip", attr::Clip);
CNNZOO_OP_RULE(MatMul, "matmul", attr::None);
CNNZOO_OP_RULE(Reshape, "reshape", attr::Reshape);
CNNZOO_OP_RULE(Transpose, "transpose", attr::Transpose);
CNNZOO_OP_RULE(Gather, "gather", attr::Gather);
CNNZOO_OP_RULE(Constant, "constant", attr::Constant);

#undef CNNZOO_OP_RULE

// Helpers the rules share.

/// Throws ShapeError "NODE: OP MESSAGE".
[[noreturn]] void fail(const OpContext& c, std::string_view op, const std::string& message);

/// Checks the op has `count` inputs (or at least `count` when `at_least`) of rank `rank` (0 = any).
void expect_inputs(const OpContext& c, std::string_view op, std::size_t count, std::size_t rank, bool at_least = false);

/// Output length of a sliding window (convolution or pooling) along one axis, PyTorch's rule, ceil mode
/// included: a window must start inside the input or its leading padding. Throws when it reaches zero.
int64_t window_output(const OpContext& c, std::string_view op, std::string_view axis, int64_t input, int64_t kernel,
                      int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t dilation, bool ceil_mode);

/// Output shape of a rank-preserving elementwise op: its first input's shape.
Dims same_shape(const OpContext& c, std::string_view op);

/// The numpy broadcast of every input's shape; fails naming the two that do not broadcast.
Dims broadcast_inputs(const OpContext& c, std::string_view op);

/// The product of `factors`, checked: OverflowError naming `what` ("MACs", "FLOPs") when it exceeds int64.
int64_t product(std::initializer_list<int64_t> factors, std::string_view what);

/// `per_element` FLOPs for each element of `shape`, checked.
int64_t flops_per_element(const Dims& shape, int64_t per_element);

/// A convolution's or linear layer's cost: `macs`, and FLOPs 2 x MACs plus one addition per output with a bias.
Cost mac_cost(int64_t macs, int64_t outputs, bool bias);

/// No parameters.
std::vector<ParamShape> no_params(const OpContext& c);

}  // namespace cnnzoo::ops
