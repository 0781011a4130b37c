// Batch norm (inference, with the ReLU after it when fused) and LRN, in the layout of their input; an imported graph's
// layer norm on plain rows.
#include <optional>

#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"

namespace cnnzoo::onednn {

void lower_batch_norm(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  const ValueState x = compiler.state(n.inputs[0]);
  auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  const bool with_relu = compiler.fusions().batch_norm_relu.contains(compiler.id_of(n));
  if (with_relu) {
    flags = flags | dnnl::normalization_flags::fuse_norm_relu;
    ++compiler.fused_relus;
  }
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, x.md, static_cast<float>(a.eps),
                                               flags);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, compiler.engine());
  const int64_t channels = compiler.graph().shape(n.output)[1];
  const memory::desc per_channel({channels}, dt::f32, tag::a);
  auto vec = [&](const char* suffix) {
    return compiler.weights(compiler.param(n, suffix), per_channel, per_channel, n.name + "." + suffix);
  };
  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::batch_normalization_forward(pd),
                {{DNNL_ARG_SRC, src},
                 {DNNL_ARG_DST, dst},
                 {DNNL_ARG_SCALE, vec("weight")},
                 {DNNL_ARG_SHIFT, vec("bias")},
                 {DNNL_ARG_MEAN, vec("running_mean")},
                 {DNNL_ARG_VARIANCE, vec("running_var")}});
  const ValueId result =
      with_relu ? compiler.graph().node(compiler.graph().value(n.output).consumers[0]).output : n.output;
  compiler.set_state(result, dst, pd.dst_desc());
}

void lower_layer_norm(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::LayerNorm>(n.attrs);
  const std::optional<ValueId> bias = n.inputs.size() > 2 ? std::optional(n.inputs[2]) : std::nullopt;
  layer_norm_step(compiler, n,
                  {.x = n.inputs[0], .axis = a.axis, .epsilon = a.epsilon, .scale = n.inputs[1], .bias = bias});
}

void layer_norm_step(Compiler& compiler, const Node& n, const LayerNormOf& of) {
  const Graph& g = compiler.graph();
  const Dims& x = g.shape(of.x);
  // oneDNN normalises over the last dimension: the dimensions from the axis on, flattened into one, of plain rows.
  int64_t rows = 1, width = 1;
  for (std::size_t d = 0; d < x.size(); ++d) (static_cast<int64_t>(d) < of.axis ? rows : width) *= x[d];
  const memory::desc table({rows, width}, dt::f32, tag::ab);
  const memory::desc vector({width}, dt::f32, tag::a);
  auto flags = dnnl::normalization_flags::none;
  if (of.scale) flags = flags | dnnl::normalization_flags::use_scale;
  if (of.bias) flags = flags | dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, table,
                                               static_cast<float>(of.epsilon), flags);
  dnnl::layer_normalization_forward::primitive_desc pd(desc, compiler.engine());
  // The same bytes seen as the table, and the scale and bias (shaped as the normalised dimensions) as vectors.
  const auto as = [&](ValueId v, const memory::desc& md) {
    return compiler.plan().add_alias(compiler.input_as(v, plain_md(g.shape(v)), n.name), md, n.name);
  };
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, as(of.x, table)}};
  if (of.scale) args[DNNL_ARG_SCALE] = as(*of.scale, vector);
  if (of.bias) args[DNNL_ARG_SHIFT] = as(*of.bias, vector);
  const BufferId dst = compiler.plan().add_buffer(plain_md(x), n.name);
  args[DNNL_ARG_DST] = compiler.plan().add_alias(dst, table, n.name);
  compiler.step(n.name, dnnl::layer_normalization_forward(pd), std::move(args));
  compiler.set_state(n.output, dst, plain_md(x));
}

void lower_lrn(Compiler& compiler, const Node& n) {
  const auto& a = std::get<attr::Lrn>(n.attrs);
  if (a.size % 2 == 0) {  // oneDNN centres an even window one channel later than PyTorch
    plain_step(compiler, n, [a](ref::In<float> x, ref::Out<float> y) { ref::lrn_forward(a, x, y); });
    return;
  }
  const ValueState x = compiler.state(n.inputs[0]);
  dnnl::lrn_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::lrn_across_channels, x.md, a.size,
                               static_cast<float>(a.alpha), static_cast<float>(a.beta), static_cast<float>(a.k));
  dnnl::lrn_forward::primitive_desc pd(desc, compiler.engine());
  const BufferId src = compiler.input_as(n.inputs[0], pd.src_desc(), n.name);
  const BufferId dst = compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::lrn_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
}

}  // namespace cnnzoo::onednn
