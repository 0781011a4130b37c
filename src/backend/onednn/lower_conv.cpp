// Convolution, with a following batch norm folded into its weights and ReLU / residual sum as post-ops.
#include <fmt/format.h>

#include <cmath>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {
namespace {

// w' = w * g / sqrt(v + eps) per output channel; b' = (b - m) * g / sqrt(v + eps) + beta.
void fold_batch_norm(Compiler& c, const Node& bn, Tensor& weight, Tensor& bias) {
  const double eps = std::get<attr::BatchNorm>(bn.attrs).eps;
  const auto gamma = c.param(bn, "weight").f32();
  const auto beta = c.param(bn, "bias").f32();
  const auto mean = c.param(bn, "running_mean").f32();
  const auto var = c.param(bn, "running_var").f32();
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

void lower_conv(Compiler& c, const Node& n) {
  const auto& a = std::get<attr::Conv>(n.attrs);
  const ConvFusion& f = c.fusions().conv.at(c.id_of(n));
  const Dims& x = c.graph().shape(n.inputs[0]);
  const Dims& y = c.graph().shape(n.output);
  const int64_t out = y[1];

  Tensor weight = c.param(n, "weight");
  Tensor bias(Dims{out});
  if (a.bias) bias = c.param(n, "bias");
  if (f.batch_norm != kNoNode) {
    fold_batch_norm(c, c.graph().node(f.batch_norm), weight, bias);
    ++c.fused_batch_norms;
  }

  dnnl::post_ops ops;
  if (f.add != kNoNode) {
    ops.append_sum(1.0f);
    ++c.fused_sums;
  }
  if (f.relu != kNoNode || f.relu_after_add != kNoNode) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    ++c.fused_relus;
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
  const memory::desc any_src(to_dims(x), c.activation_type(), tag::any);
  const memory::desc any_w(w_plain.dims(), c.activation_type(), tag::any);
  const memory::desc bias_md({out}, dt::f32, tag::a);
  const memory::desc any_dst(to_dims(y), c.activation_type(), tag::any);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any_src,
                                       any_w, bias_md, any_dst, strides, dilation, pad_l, pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, c.engine());

  const BufferId src = c.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId w = c.weights(weight, w_plain, pd.weights_desc(), n.name + ".weight");
  const BufferId b = c.weights(bias, bias_md, bias_md, n.name + ".bias");
  BufferId dst = -1;
  if (f.add != kNoNode) {
    // The sum post-op accumulates into dst: start it as the other operand, in place when nothing reads
    // that operand afterwards (a residual block's input, read by its first convolution before).
    const ValueState& other = c.state(f.sum_operand);
    if (c.last_use(f.sum_operand, f.add, c.id_of(n)) && other.md == pd.dst_desc()) {
      dst = other.buffer;
    } else {
      dst = c.reorder(other.buffer, pd.dst_desc(), n.name + ".sum");
    }
  } else {
    dst = c.plan().add_buffer(pd.dst_desc(), n.name);
  }
  c.step(n.name, dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  c.set_state(f.result, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
