// An imported graph's MatMul (ConvNeXt's pointwise layers, written after a transpose to channels last) as oneDNN's
// matmul on plain rows.
#include <algorithm>
#include <optional>
#include <span>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

void lower_matmul(Lowering& lowering, const Node& n) {
  const Graph& g = lowering.graph();
  const Dims& a = g.shape(n.inputs[0]);
  const Dims& b = g.shape(n.inputs[1]);
  const Dims& y = g.shape(n.output);
  const int64_t inner = a.back();
  const int64_t columns = b.back();
  if (y.size() > DNNL_MAX_NDIMS || numel(y) == 0 || inner == 0) return lower_plain(lowering, n);
  // One matrix on the right for every batch (its batch dimensions all 1): the left operand's rows, contiguous in plain
  // layout, are then one matrix of every batch's rows, the form oneDNN's matmul runs fastest. Otherwise both operands
  // take the output's rank and oneDNN broadcasts their batch dimensions.
  const bool one_matrix = std::all_of(b.begin(), b.end() - 2, [](int64_t d) { return d == 1; });
  const Dims a_dims = one_matrix ? Dims{numel(a) / inner, inner} : with_leading_ones(a, y.size());
  const Dims b_dims = one_matrix ? Dims{inner, columns} : with_leading_ones(b, y.size());
  const Dims y_dims = one_matrix ? Dims{numel(y) / columns, columns} : y;
  // A constant right operand (a layer's weights) is reordered once, now, into the layout the primitive prefers.
  const float* constant = constant_floats(lowering, n.inputs[1]);
  const memory::desc b_wanted =
      constant != nullptr ? memory::desc(to_dims(b_dims), dt::f32, tag::any) : plain_md(b_dims);
  std::optional<dnnl::matmul::primitive_desc> pd;
  try {
    pd.emplace(dnnl::matmul::desc(plain_md(a_dims), b_wanted, plain_md(y_dims)), lowering.engine());
  } catch (const dnnl::error&) {
    return lower_plain(lowering, n);  // batch dimensions oneDNN 2.6 does not broadcast
  }
  Plan& plan = lowering.plan();
  const BufferId a_buffer =
      plan.add_alias(lowering.input_as(n.inputs[0], plain_md(a), n.name), plain_md(a_dims), n.name + ".rows");
  BufferId b_buffer = -1;
  if (constant != nullptr) {
    const std::span bytes(reinterpret_cast<const std::byte*>(constant), plain_md(b_dims).get_size());
    b_buffer = lowering.weights(bytes, plain_md(b_dims), pd->weights_desc(), n.name + ".weights");
  } else {
    b_buffer = plan.add_alias(lowering.input_as(n.inputs[1], plain_md(b), n.name), plain_md(b_dims), n.name + ".right");
  }
  const BufferId dst = plan.add_buffer(plain_md(y), n.name);
  lowering.step(n.name, dnnl::matmul(*pd),
                {{DNNL_ARG_SRC, a_buffer},
                 {DNNL_ARG_WEIGHTS, b_buffer},
                 {DNNL_ARG_DST, plan.add_alias(dst, plain_md(y_dims), n.name + ".rows")}});
  lowering.set_state(n.output, dst, plain_md(y));
}

}  // namespace cnnzoo::onednn
