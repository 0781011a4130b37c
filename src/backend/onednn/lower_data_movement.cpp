// Transpose and Slice of imported graphs (ShuffleNet's channel shuffle and split, ConvNeXt's switch to channels last)
// as oneDNN reorders: a transpose writes into the output seen through permuted strides, a slice reads a window of its
// input. A slice with a step other than 1 runs on the reference kernel.
#include <algorithm>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

void lower_transpose(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::Transpose>(n.attrs);
  const Dims& x = lowering.graph().shape(n.inputs[0]);
  const Dims& y = lowering.graph().shape(n.output);
  if (x.empty() || x.size() > DNNL_MAX_NDIMS || numel(y) == 0) return lower_plain(lowering, n);
  // The plain output seen in the input's order of dimensions: output dimension i, input dimension perm[i], keeps its
  // own stride.
  memory::dims strides(x.size());
  int64_t stride = 1;
  for (std::size_t i = y.size(); i-- > 0;) {
    strides[static_cast<std::size_t>(a.perm[i])] = stride;
    stride *= y[i];
  }
  // The reorder reads the input in whatever layout its producer left (never int8: the compiler dequantizes the inputs
  // of every tensor op).
  const BufferId src = lowering.state(n.inputs[0]).buffer;
  const BufferId dst = lowering.plan().add_buffer(plain_md(y), n.name);
  const memory::desc permuted(to_dims(x), dt::f32, strides);
  lowering.reorder_into(src, lowering.plan().add_alias(dst, permuted, n.name + ".permuted"), n.name);
  lowering.set_state(n.output, dst, plain_md(y));
}

void lower_slice(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::Slice>(n.attrs);
  const Dims& x = lowering.graph().shape(n.inputs[0]);
  const Dims& y = lowering.graph().shape(n.output);
  const bool unit_steps = std::all_of(a.steps.begin(), a.steps.end(), [](int64_t s) { return s == 1; });
  if (!unit_steps || x.size() > DNNL_MAX_NDIMS || numel(y) == 0) return lower_plain(lowering, n);
  const BufferId plain = lowering.input_as(n.inputs[0], plain_md(x), n.name);
  const memory::desc window = plain_md(x).submemory_desc(to_dims(y), to_dims(a.starts));
  const BufferId dst = lowering.plan().add_buffer(plain_md(y), n.name);
  lowering.reorder_into(lowering.plan().add_alias(plain, window, n.name + ".window"), dst, n.name);
  lowering.set_state(n.output, dst, plain_md(y));
}

}  // namespace cnnzoo::onednn
