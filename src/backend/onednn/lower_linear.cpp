// Linear layers (inner product) and flatten, which only reinterprets a plain tensor.
#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

void lower_flatten(Lowering& lowering, const Node& n) {
  const Dims& x = lowering.graph().shape(n.inputs[0]);
  const Dims& y = lowering.graph().shape(n.output);
  // Row-major order is what flatten means, so a blocked or channels-last input is made plain first (in its
  // own type: an int8 value stays int8).
  const ValueState x_state = lowering.state(n.inputs[0]);
  const dt type = x_state.md.data_type();
  const BufferId plain = lowering.input_as(n.inputs[0], plain_md(x, type), n.name);
  const BufferId alias = lowering.plan().add_alias(plain, plain_md(y, type), n.name);
  lowering.set_state(n.output, alias, plain_md(y, type), x_state.scale);
}

void lower_linear(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::Linear>(n.attrs);
  const Dims& x = compiler.graph().shape(n.inputs[0]);
  const Dims& y = compiler.graph().shape(n.output);
  const Dims w_dims{y[1], x[1]};
  Tensor bias(Dims{y[1]});
  if (a.bias) bias = compiler.param(n, "bias");
  if (compiler.int8()) return lower_linear_int8(compiler, n, compiler.param(n, "weight"), bias);
  const memory::desc bias_md({y[1]}, dt::f32, tag::a);
  dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         memory::desc(to_dims(x), compiler.activation_type(), tag::any),
                                         memory::desc(to_dims(w_dims), compiler.activation_type(), tag::any), bias_md,
                                         memory::desc(to_dims(y), compiler.activation_type(), tag::any));
  dnnl::inner_product_forward::primitive_desc pd(desc, compiler.engine());
  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId w =
      compiler.weights(compiler.param(n, "weight"), plain_md(w_dims), pd.weights_desc(), n.name + ".weight");
  const BufferId b = compiler.weights(bias, bias_md, bias_md, n.name + ".bias");
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::inner_product_forward(pd),
                {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
