// The rule table: for every op, its shape rule, the parameters it creates, its cost rule and its traits.
//
// `Rule<K>` has no primary definition; CNNZOO_OPS declares one for every op, and the table takes every
// member of each, so an op without its rules and traits does not build. Each op's rules live in a file of
// their own (src/ops/).
#pragma once

#include <functional>
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

/// An ONNX float attribute of an op that maps one to one (an activation's alpha).
struct OnnxFloatAttribute {
  std::string_view name;
  double value;
};

/// Reads an ONNX float attribute by name, `fallback` when the node lacks it.
using OnnxFloatReader = std::function<double(std::string_view name, double fallback)>;

/// What the rest of the library asks about an op: the one place each such fact is written.
struct OpTraits {
  /// The output is its input's buffer under another shape: no copy, and its readers read the input's
  /// buffer (flatten and reshape always, dropout at inference, where it is the identity).
  bool view_at_inference = false;
  bool view_in_training = false;
  /// The training engines and the float64 reference step run it (the zoo's ops; the general tensor ops
  /// of imported graphs are inference only).
  bool trains = false;
  /// Its backward pass reads its output (ReLU's and sigmoid's, from oneDNN's use_dst algorithms, and
  /// softmax's), so in training nothing may overwrite that output.
  bool backward_reads_output = false;
  /// In training it may write its output over an input that nothing else reads (ReLU, a same-shape add).
  bool in_place_in_training = false;
  /// It may mix the samples of a batch, or was not analysed for it: a graph holding it cannot run its batch
  /// in slices (the general tensor ops, whose axes can be anything).
  bool mixes_batch = false;
  /// The papers' tables show it in the row of the layer before it (a convolution's batch norm and ReLU).
  bool folds_into_previous_row = false;
  /// The ONNX op it exports to and imports from one to one, with onnx_attributes and from_onnx; empty when
  /// its ONNX converters are its own (src/onnx/).
  std::string_view onnx_name{};
  /// Its attributes as ONNX float attributes, and back from a reader of them (name, default) -> value.
  std::vector<OnnxFloatAttribute> (*onnx_attributes)(const Attrs&) = nullptr;
  Attrs (*from_onnx)(const OnnxFloatReader& read) = nullptr;
};

struct OpRules {
  std::string_view name;
  bool (*attrs_fit)(const Attrs&);
  Dims (*shape)(const OpContext&);
  std::vector<ParamShape> (*params)(const OpContext&);
  Cost (*cost)(const OpContext&, const Dims& out);
  const OpTraits* traits;
};

/// The rules of an op.
const OpRules& rules(OpKind op);
/// The traits of an op.
inline const OpTraits& traits(OpKind op) { return *rules(op).traits; }

template <OpKind K>
struct Rule;  // defined only by CNNZOO_OP_RULE below, once per op of CNNZOO_OPS (include/cnnzoo/ops.h)

// Each op's file (src/ops/) defines these members of its Rule.
#define CNNZOO_OP_RULE(KIND, NAME, ATTR, FAMILY)                 \
  template <>                                                    \
  struct Rule<OpKind::KIND> {                                    \
    using Attr = ATTR;                                           \
    static constexpr std::string_view name = NAME;               \
    static Dims shape(const OpContext& ctx);                     \
    static std::vector<ParamShape> params(const OpContext& ctx); \
    static Cost cost(const OpContext& ctx, const Dims& out);     \
    static const OpTraits traits;                                \
  };
CNNZOO_OPS(CNNZOO_OP_RULE)
#undef CNNZOO_OP_RULE

// Helpers the rules share.

/// Throws ShapeError "NODE: OP MESSAGE".
[[noreturn]] void fail(const OpContext& ctx, std::string_view op, const std::string& message);

/// Checks the op has `count` inputs (or at least `count` when `at_least`) of rank `rank` (0 = any).
void expect_inputs(const OpContext& ctx, std::string_view op, std::size_t count, std::size_t rank,
                   bool at_least = false);

/// Output length of a sliding window (convolution or pooling) along one axis, PyTorch's rule, ceil mode
/// included: a window must start inside the input or its leading padding. Throws when it reaches zero.
int64_t window_output(const OpContext& ctx, std::string_view op, std::string_view axis, int64_t input, int64_t kernel,
                      int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t dilation, bool ceil_mode);

/// Output shape of a rank-preserving elementwise op: its first input's shape.
Dims same_shape(const OpContext& ctx, std::string_view op);

/// The numpy broadcast of every input's shape; fails naming the two that do not broadcast.
Dims broadcast_inputs(const OpContext& ctx, std::string_view op);

/// The product of `factors`, checked: OverflowError naming `what` ("MACs", "FLOPs") when it exceeds int64.
int64_t product(std::initializer_list<int64_t> factors, std::string_view what);

/// `per_element` FLOPs for each element of `shape`, checked.
int64_t flops_per_element(const Dims& shape, int64_t per_element);

/// A convolution's or linear layer's cost: `macs`, and FLOPs 2 x MACs plus one addition per output with a bias.
Cost mac_cost(int64_t macs, int64_t outputs, bool bias);

/// Whether a Resize leaves dimension `d` of an input of shape `in` as it is: the same size, scale 1, and a coordinate
/// mode that maps each output element onto the input element of its index (so resampling it would copy it).
bool resize_keeps_dimension(const attr::Resize& a, const Dims& in, std::size_t d);

/// An op without attributes, to and from ONNX.
std::vector<OnnxFloatAttribute> no_onnx_attributes(const Attrs& attrs);
Attrs no_attributes_from_onnx(const OnnxFloatReader& read);

/// No parameters.
std::vector<ParamShape> no_params(const OpContext& ctx);

}  // namespace cnnzoo::ops
