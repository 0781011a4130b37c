// Max, average, adaptive and global average pooling.
#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/pool_geometry.h"

namespace cnnzoo::onednn {
void lower_pool(Compiler& compiler, const Node& n) {
  const PoolGeometry g = pool_geometry(compiler.graph(), n);
  if (g.fallback) {
    plain_step(compiler, n, reference_pool(n));
    return;
  }
  const ValueState& x = compiler.state(n.inputs[0]);
  const memory::desc dst_any(to_dims(compiler.graph().shape(n.output)), x.md.data_type(), tag::any);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, g.algorithm, x.md, dst_any, g.strides,
                                      g.kernel, g.dilation, g.pad_l, g.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(desc, compiler.engine());
  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc(), x.scale);  // int8 pools keep their input's scale
}

}  // namespace cnnzoo::onednn
