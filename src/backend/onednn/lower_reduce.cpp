// ReduceMean and ReduceSum of imported graphs (a layer norm written out, as torch.onnx writes ConvNeXt's before opset
// 17) as oneDNN's reduction on plain rows. ReduceMax and ReduceMin stay on the reference kernel, which keeps a NaN as
// ONNX's reference does; those over height and width were made global pooling at import.
#include <algorithm>
#include <optional>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

void lower_reduce(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::Reduce>(n.attrs);
  const Dims& x = lowering.graph().shape(n.inputs[0]);
  const Dims& y = lowering.graph().shape(n.output);
  if ((n.op != OpKind::ReduceMean && n.op != OpKind::ReduceSum) || numel(x) == 0 || y.empty() ||
      x.size() > DNNL_MAX_NDIMS) {
    return lower_plain(lowering, n);
  }
  // oneDNN's destination keeps every dimension, a reduced one as 1: the output with keepdims, whatever the node says.
  Dims kept = x;
  for (std::size_t d = 0; d < x.size(); ++d) {
    if (a.axes.empty() || std::find(a.axes.begin(), a.axes.end(), static_cast<int64_t>(d)) != a.axes.end()) kept[d] = 1;
  }
  const auto algorithm = n.op == OpKind::ReduceMean ? dnnl::algorithm::reduction_mean : dnnl::algorithm::reduction_sum;
  std::optional<dnnl::reduction::primitive_desc> pd;
  try {
    pd.emplace(dnnl::reduction::desc(algorithm, plain_md(x), plain_md(kept), 0.0f, 0.0f), lowering.engine());
  } catch (const dnnl::error&) {
    return lower_plain(lowering, n);  // a rank oneDNN's reduction does not take
  }
  const BufferId src = lowering.input_as(n.inputs[0], plain_md(x), n.name);
  const BufferId dst = lowering.plan().add_buffer(plain_md(y), n.name);
  lowering.step(
      n.name, dnnl::reduction(*pd),
      {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, lowering.plan().add_alias(dst, plain_md(kept), n.name + ".kept")}});
  lowering.set_state(n.output, dst, plain_md(y));
}

}  // namespace cnnzoo::onednn
