// An imported graph's MatMul (ConvNeXt's pointwise layers, written after a transpose to channels last; a dense layer
// as tf2onnx writes it), with the Add of a bias after it, as oneDNN's matmul on plain rows.
#include <algorithm>
#include <optional>
#include <span>
#include <unordered_map>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

namespace {

// MatMul `n` as oneDNN's matmul, plus `bias` (a value of the product's last dimension) when given, its result stored as
// value `result`. False, with nothing lowered, where oneDNN's matmul does not take the shapes.
bool matmul_step(Lowering& lowering, const Node& n, std::optional<ValueId> bias, ValueId result) {
  const Graph& g = lowering.graph();
  const Dims& a = g.shape(n.inputs[0]);
  const Dims& b = g.shape(n.inputs[1]);
  const Dims& y = g.shape(n.output);
  const int64_t inner = a.back();
  const int64_t columns = b.back();
  if (y.size() > DNNL_MAX_NDIMS || numel(y) == 0 || inner == 0) return false;
  // One matrix on the right for every batch (its batch dimensions all 1): the left operand's rows, contiguous in plain
  // layout, are then one matrix of every batch's rows, the form oneDNN's matmul runs fastest. Otherwise both operands
  // take the output's rank and oneDNN broadcasts their batch dimensions.
  const bool one_matrix = std::all_of(b.begin(), b.end() - 2, [](int64_t d) { return d == 1; });
  const Dims a_dims = one_matrix ? Dims{numel(a) / inner, inner} : with_leading_ones(a, y.size());
  const Dims b_dims = one_matrix ? Dims{inner, columns} : with_leading_ones(b, y.size());
  const Dims y_dims = one_matrix ? Dims{numel(y) / columns, columns} : y;
  Dims bias_dims(y_dims.size(), 1);
  bias_dims.back() = columns;
  // A constant right operand (a layer's weights) is reordered once, now, into the layout the primitive prefers.
  const float* constant = constant_floats(lowering, n.inputs[1]);
  const memory::desc b_wanted =
      constant != nullptr ? memory::desc(to_dims(b_dims), dt::f32, tag::any) : plain_md(b_dims);
  std::optional<dnnl::matmul::primitive_desc> pd;
  try {
    pd.emplace(bias ? dnnl::matmul::desc(plain_md(a_dims), b_wanted, plain_md(bias_dims), plain_md(y_dims))
                    : dnnl::matmul::desc(plain_md(a_dims), b_wanted, plain_md(y_dims)),
               lowering.engine());
  } catch (const dnnl::error&) {
    return false;  // batch dimensions oneDNN 2.6 does not broadcast
  }
  Plan& plan = lowering.plan();
  // Plain operands seen as the primitive's matrices.
  const auto as = [&](ValueId v, const Dims& dims, const char* what) {
    return plan.add_alias(lowering.input_as(v, plain_md(g.shape(v)), n.name), plain_md(dims), n.name + what);
  };
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, as(n.inputs[0], a_dims, ".rows")}};
  if (constant != nullptr) {
    const std::span bytes(reinterpret_cast<const std::byte*>(constant), plain_md(b_dims).get_size());
    args[DNNL_ARG_WEIGHTS] = lowering.weights(bytes, plain_md(b_dims), pd->weights_desc(), n.name + ".weights");
  } else {
    args[DNNL_ARG_WEIGHTS] = as(n.inputs[1], b_dims, ".right");
  }
  if (bias) args[DNNL_ARG_BIAS] = as(*bias, bias_dims, ".bias");
  const BufferId dst = plan.add_buffer(plain_md(y), n.name);
  args[DNNL_ARG_DST] = plan.add_alias(dst, plain_md(y_dims), n.name + ".rows");
  lowering.step(n.name, dnnl::matmul(*pd), std::move(args));
  lowering.set_state(result, dst, plain_md(y));
  return true;
}

}  // namespace

void lower_matmul(Lowering& lowering, const Node& n) {
  if (!matmul_step(lowering, n, std::nullopt, n.output)) lower_plain(lowering, n);
}

void lower_matmul_with_bias(Lowering& lowering, const Node& n, const Node& bias_add) {
  const ValueId bias = bias_add.inputs[0] == n.output ? bias_add.inputs[1] : bias_add.inputs[0];
  if (matmul_step(lowering, n, bias, bias_add.output)) return;
  lower_plain(lowering, n);
  lower_add(lowering, bias_add);
}

}  // namespace cnnzoo::onednn
