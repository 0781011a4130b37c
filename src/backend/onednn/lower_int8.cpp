// int8 convolutions and linear layers (EngineOptions::quantization).
//
// With x = s * q for each tensor, a layer computes acc = sum(q_src * q_w) in int32 and oneDNN 2.x turns it
// into its destination as q_dst = oscale * (acc + bias'), then the post-ops. So, per output channel c:
//   oscale[c] = s_src * s_w[c] / s_dst   (s_dst = 1 for a float32 destination)
//   bias'[c]  = bias[c] / (s_src * s_w[c])  (oneDNN 2.x adds the bias before the output scale)
// and a fused residual sum adds s_res / s_dst times the operand's stored value. Weights are symmetric per
// output channel: s_w[c] = max |w[c]| / 127, so every channel uses the full int8 range.
#include <cmath>
#include <tuple>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {
namespace {

// The int8 type and scale of an input: as its producer left it when int8, else from its calibrated range
// (it will be quantized on the way in).
std::pair<dt, float> int8_input(Compiler& compiler, ValueId v) {
  const ValueState& s = compiler.state(v);
  if (is_int8(s.md.data_type())) return {s.md.data_type(), s.scale};
  const ValueRange& r = compiler.range(v);
  return {r.unsigned_int8() ? dt::u8 : dt::s8, r.scale()};
}

// The layer's quantized weights, int8 bias and output scales (see the top of the file).
struct Int8Layer {
  std::vector<float> weight_scales;  ///< 1 / s_w[c]: what the weights' reorder multiplies by
  Tensor bias;                       ///< bias'
  std::vector<float> output_scales;  ///< oscale
};

Int8Layer int8_layer(const Tensor& weight, const Tensor& bias, float src_scale, float dst_scale) {
  const int64_t channels = bias.numel();
  Int8Layer layer{weight_scales(weight, channels), Tensor(Dims{channels}), {}};
  const auto b = bias.f32();
  const auto scaled_bias = layer.bias.f32();
  for (std::size_t c = 0; c < layer.weight_scales.size(); ++c) {
    const float s_w = layer.weight_scales[c];
    scaled_bias[c] = b[c] / (src_scale * s_w);
    layer.output_scales.push_back(src_scale * s_w / dst_scale);
    layer.weight_scales[c] = 1.0f / s_w;
  }
  return layer;
}

// oneDNN's mask for one scale per output channel: dimension 1 of the destination (N, C, ...).
constexpr int kPerOutputChannel = 1 << 1;

}  // namespace

void lower_conv_int8(Compiler& compiler, const Node& n, const Tensor& weight, const Tensor& bias,
                     const memory::desc& w_plain) {
  const ConvFusion& f = compiler.fusions().conv.at(compiler.id_of(n));
  const auto [src_type, src_scale] = int8_input(compiler, n.inputs[0]);
  const auto out = compiler.int8_output(f.result);  // none: a float32 destination
  const dt dst_type = out ? out->first : dt::f32;
  const float dst_scale = out ? out->second : 1.0f;
  const Int8Layer layer = int8_layer(weight, bias, src_scale, dst_scale);

  // The residual operand, into an int8 dst: in its own int8 type and scale (quantized first if it is
  // float), which the sum post-op reads as such: a signed operand must not be made u8 for a ReLU'd dst.
  // Into a float32 dst: dequantized.
  auto [residual_type, residual_scale] = std::pair(dst_type, dst_scale);
  if (f.add != kNoNode && is_int8(dst_type))
    std::tie(residual_type, residual_scale) = int8_input(compiler, f.sum_operand);
  dnnl::primitive_attr attr;
  attr.set_output_scales(kPerOutputChannel, layer.output_scales);
  attr.set_post_ops(
      conv_post_ops(compiler, f, residual_scale / dst_scale, residual_type == dst_type ? dt::undef : residual_type));
  const dnnl::convolution_forward::primitive_desc pd(
      conv_inference_desc(compiler, n, w_plain, src_type, dt::s8, dst_type), attr, compiler.engine());

  const BufferId src = compiler.input_quantized(n.inputs[0], pd.src_desc(), src_scale, n.name);
  // Grouped weights (g, o, i, h, w): the output channel is dimensions 0 and 1 together.
  const int weight_mask = w_plain.dims().size() == 5 ? 0b11 : 0b1;
  const BufferId w =
      compiler.weights(weight, w_plain, pd.weights_desc(), n.name + ".weight", layer.weight_scales, weight_mask);
  const memory::desc bias_md({bias.numel()}, dt::f32, tag::a);
  const BufferId b = compiler.weights(layer.bias, bias_md, bias_md, n.name + ".bias");
  const BufferId dst = f.add != kNoNode ? sum_destination(compiler, n, pd.dst_desc(), residual_type, residual_scale)
                                        : compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::convolution_forward(pd),
                {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  compiler.set_state(f.result, dst, pd.dst_desc(), dst_scale);
  ++compiler.int8_layers;
}

void lower_linear_int8(Compiler& compiler, const Node& n, const Tensor& weight, const Tensor& bias) {
  const Dims& x = compiler.graph().shape(n.inputs[0]);
  const Dims& y = compiler.graph().shape(n.output);
  const auto [src_type, src_scale] = int8_input(compiler, n.inputs[0]);
  // A classifier's logits, or a hidden layer a ReLU (float32 here) follows: float32 out.
  const Int8Layer layer = int8_layer(weight, bias, src_scale, 1.0f);
  dnnl::primitive_attr attr;
  attr.set_output_scales(kPerOutputChannel, layer.output_scales);
  const memory::desc bias_md({y[1]}, dt::f32, tag::a);
  const Dims w_dims{y[1], x[1]};
  dnnl::inner_product_forward::desc desc(
      dnnl::prop_kind::forward_inference, memory::desc(to_dims(x), src_type, tag::any),
      memory::desc(to_dims(w_dims), dt::s8, tag::any), bias_md, memory::desc(to_dims(y), dt::f32, tag::any));
  dnnl::inner_product_forward::primitive_desc pd(desc, attr, compiler.engine());
  const BufferId src = compiler.input_quantized(n.inputs[0], pd.src_desc(), src_scale, n.name);
  const BufferId w = compiler.weights(weight, plain_md(w_dims), pd.weights_desc(), n.name + ".weight",
                                      layer.weight_scales, /*mask: the output channel*/ 0b1);
  const BufferId b = compiler.weights(layer.bias, bias_md, bias_md, n.name + ".bias");
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::inner_product_forward(pd),
                {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
  ++compiler.int8_layers;
}

}  // namespace cnnzoo::onednn
