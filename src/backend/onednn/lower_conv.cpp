// Convolution, with a following batch norm folded into its weights and ReLU / residual sum as post-ops.
#include <fmt/format.h>

#include <cmath>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

dnnl::post_ops conv_post_ops(Compiler& compiler, const ConvFusion& f, float sum_scale, dt sum_type) {
  dnnl::post_ops ops;
  if (f.add != kNoNode) {
    ops.append_sum(sum_scale, sum_type);
    ++compiler.fused_sums;
  }
  if (f.relu != kNoNode || f.relu_after_add != kNoNode) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    ++compiler.fused_relus;
  }
  return ops;
}

dnnl::convolution_forward::desc conv_inference_desc(const Compiler& compiler, const Node& n,
                                                    const memory::desc& w_plain, dt src, dt weights, dt dst) {
  const auto& a = std::get<attr::Conv>(n.attrs);
  const Hw end = a.effective_pad_end();
  const int64_t out = compiler.graph().shape(n.output)[1];
  return {dnnl::prop_kind::forward_inference,
          dnnl::algorithm::convolution_direct,
          memory::desc(to_dims(compiler.graph().shape(n.inputs[0])), src, tag::any),
          memory::desc(w_plain.dims(), weights, tag::any),
          memory::desc({out}, dt::f32, tag::a),
          memory::desc(to_dims(compiler.graph().shape(n.output)), dst, tag::any),
          {a.stride.h, a.stride.w},
          {a.dilation.h - 1, a.dilation.w - 1},
          {a.pad.h, a.pad.w},
          {end.h, end.w}};
}

BufferId sum_destination(Compiler& compiler, const Node& n, const memory::desc& dst_md, dt residual_type,
                         float residual_scale) {
  // The sum post-op accumulates into dst: start it as the other operand, in place when nothing reads that
  // operand afterwards (a residual block's input, read by its first convolution before). An int8 operand
  // may be of the other int8 type than dst (the sum post-op reads it as such: same size).
  const ConvFusion& f = compiler.fusions().conv.at(compiler.id_of(n));
  const ValueState& other = compiler.state(f.sum_operand);
  const memory::desc residual_md = with_type(dst_md, residual_type);
  BufferId residual = other.buffer;
  if (!compiler.last_use(f.sum_operand, f.add, compiler.id_of(n)) || other.md != residual_md ||
      other.scale != residual_scale) {
    residual = compiler.reorder(other.buffer, residual_md, n.name + ".sum", other.scale / residual_scale);
  }
  return residual_type == dst_md.data_type() ? residual : compiler.plan().add_alias(residual, dst_md, n.name);
}

memory::desc conv_weights_md(const attr::Conv& a, const Dims& x, int64_t out) {
  if (a.groups > 1) {
    return memory::desc({a.groups, out / a.groups, x[1] / a.groups, a.kernel.h, a.kernel.w}, dt::f32, tag::goihw);
  }
  return plain_md(Dims{out, x[1] / a.groups, a.kernel.h, a.kernel.w});
}

void lower_conv(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::Conv>(n.attrs);
  const ConvFusion& f = compiler.fusions().conv.at(compiler.id_of(n));
  const Dims& x = compiler.graph().shape(n.inputs[0]);
  const Dims& y = compiler.graph().shape(n.output);
  const int64_t out = y[1];

  Tensor weight = compiler.param(n, "weight");
  Tensor bias(Dims{out});
  if (a.bias) bias = compiler.param(n, "bias");
  if (f.batch_norm != kNoNode) {
    const Node& bn = compiler.graph().node(f.batch_norm);
    fold_batch_norm(std::get<attr::BatchNorm>(bn.attrs).eps, compiler.param(bn, "weight"), compiler.param(bn, "bias"),
                    compiler.param(bn, "running_mean"), compiler.param(bn, "running_var"), weight, bias);
    ++compiler.fused_batch_norms;
  }
  const memory::desc w_plain = conv_weights_md(a, x, out);
  if (compiler.int8()) return lower_conv_int8(compiler, n, weight, bias, w_plain);

  dnnl::primitive_attr attr;
  attr.set_post_ops(conv_post_ops(compiler, f, 1.0f, dt::undef));
  const dt type = compiler.activation_type();
  const dnnl::convolution_forward::primitive_desc pd(conv_inference_desc(compiler, n, w_plain, type, type, type), attr,
                                                     compiler.engine());
  const memory::desc bias_md({out}, dt::f32, tag::a);
  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId w = compiler.weights(weight, w_plain, pd.weights_desc(), n.name + ".weight");
  const BufferId b = compiler.weights(bias, bias_md, bias_md, n.name + ".bias");
  const BufferId dst = f.add != kNoNode ? sum_destination(compiler, n, pd.dst_desc(), type, 1.0f)
                                        : compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::convolution_forward(pd),
                {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  compiler.set_state(f.result, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
