// Max, average, adaptive and global average pooling.
#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/pool_geometry.h"

namespace cnnzoo::onednn {
void lower_pool(Compiler& c, const Node& n) {
  const PoolGeometry g = pool_geometry(c.graph(), n);
  if (g.fallback) {
    plain_step(c, n, reference_pool(n));
    return;
  }
  const ValueState& x = c.state(n.inputs[0]);
  const memory::desc dst_any(to_dims(c.graph().shape(n.output)), x.md.data_type(), tag::any);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, g.algorithm, x.md, dst_any, g.strides,
                                      g.kernel, {0, 0}, g.pad_l, g.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(desc, c.engine());
  const BufferId src = c.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId dst = c.plan().add_buffer(pd.dst_desc(), n.name);
  c.step(n.name, dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  c.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
