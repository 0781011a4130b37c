// Convolution, with a following batch norm folded into its weights and ReLU / residual sum as post-ops.
#include <fmt/format.h>

#include <cmath>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {
namespace {

// w' = w * g / sqrt(v + eps) per output channel; b' = (b - m) * g / sqrt(v + eps) + beta.
void fold_batch_norm(Compiler& compiler, const Node& bn, Tensor& weight, Tensor& bias) {
  const double eps = std::get<attr::BatchNorm>(bn.attrs).eps;
  const auto gamma = compiler.param(bn, "weight").f32();
  const auto beta = compiler.param(bn, "bias").f32();
  const auto mean = compiler.param(bn, "running_mean").f32();
  const auto var = compiler.param(bn, "running_var").f32();
  const auto w = weight.f32();
  const auto b = bias.f32();
  const std::size_t channels = b.size();
  const std::size_t per_channel = w.size() / channels;
  for (std::size_t o = 0; o < channels; ++o) {
    const double scale = gamma[o] / std::sqrt(static_cast<double>(var[o]) + eps);
    for (std::size_t i = 0; i < per_channel; ++i)
      w[o * per_channel + i] = static_cast<float>(w[o * per_channel + i] * scale);
    b[o] = static_cast<float>((b[o] - mean[o]) * scale + beta[o]);
  }
}

}  // namespace

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
    fold_batch_norm(compiler, compiler.graph().node(f.batch_norm), weight, bias);
    ++compiler.fused_batch_norms;
  }

  dnnl::post_ops ops;
  if (f.add != kNoNode) {
    ops.append_sum(1.0f);
    ++compiler.fused_sums;
  }
  if (f.relu != kNoNode || f.relu_after_add != kNoNode) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    ++compiler.fused_relus;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);

  const memory::dims strides{a.stride.h, a.stride.w};
  const memory::dims dilation{a.dilation.h - 1, a.dilation.w - 1};
  const Hw end = a.effective_pad_end();
  const memory::dims pad_l{a.pad.h, a.pad.w};
  const memory::dims pad_r{end.h, end.w};
  Dims w_dims{out, x[1] / a.groups, a.kernel.h, a.kernel.w};
  memory::desc w_plain = plain_md(w_dims);
  if (a.groups > 1) {
    w_plain = memory::desc({a.groups, out / a.groups, x[1] / a.groups, a.kernel.h, a.kernel.w}, dt::f32, tag::goihw);
  }
  const memory::desc any_src(to_dims(x), compiler.activation_type(), tag::any);
  const memory::desc any_w(w_plain.dims(), compiler.activation_type(), tag::any);
  const memory::desc bias_md({out}, dt::f32, tag::a);
  const memory::desc any_dst(to_dims(y), compiler.activation_type(), tag::any);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any_src,
                                       any_w, bias_md, any_dst, strides, dilation, pad_l, pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, compiler.engine());

  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId w = compiler.weights(weight, w_plain, pd.weights_desc(), n.name + ".weight");
  const BufferId b = compiler.weights(bias, bias_md, bias_md, n.name + ".bias");
  BufferId dst = -1;
  if (f.add != kNoNode) {
    // The sum post-op accumulates into dst: start it as the other operand, in place when nothing reads
    // that operand afterwards (a residual block's input, read by its first convolution before).
    const ValueState& other = compiler.state(f.sum_operand);
    if (compiler.last_use(f.sum_operand, f.add, compiler.id_of(n)) && other.md == pd.dst_desc()) {
      dst = other.buffer;
    } else {
      dst = compiler.reorder(other.buffer, pd.dst_desc(), n.name + ".sum");
    }
  } else {
    dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  }
  compiler.step(n.name, dnnl::convolution_forward(pd),
                {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  compiler.set_state(f.result, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
